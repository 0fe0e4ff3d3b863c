//! The cart in the shop: the cart page (quantities, removal, the checkout draft) and the
//! forms that change it. Plain HTML forms and 303 redirects: no JavaScript needed.
//!
//! A first "add to cart" creates a cart, sets the cookie and redirects to
//! `/cart?new=<id>`. If the cookie comes back the visitor keeps the cart across visits;
//! if not, the browser refuses cookies and the cart switches to the cookie-less mode
//! (two-hour TTL) with its token in the URL from then on.

mod actions;
mod view;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_cart_api::{
    CartCallError, CartId, CartView, ErrorCode, LineView, Mode, Prefill, Summary, VariantId,
};
use platform_domain::{CheckoutField, CheckoutFields, Currency, FieldRule};
use platform_web::{FormBody, PathParams, QueryParams, WebError};
use serde::Deserialize;

use super::layout::{layout, shop_frame};
use crate::db::catalog;
use crate::error::{CART_RETRY_AFTER_SECS, ShopError};
use crate::http::links::Links;
use crate::http::visit::{Visit, cookie};
use crate::{AppState, Shop};

/// Cart routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cart", get(view::cart_page))
        .route("/cart/add", post(actions::add))
        .route("/cart/lines/{variant}", post(actions::update))
        .route("/cart/lines/{variant}/remove", post(actions::remove))
        .route("/cart/clear", post(actions::clear))
        .route("/cart/details", post(actions::save_details))
        .route("/cart/details/forget", post(actions::forget_details))
        .route_layer(axum::middleware::from_fn(same_site_only))
}

/// Cart forms accept posts from the shop's own pages only: a post another site makes a
/// browser send (which carries no `SameSite=Lax` cookie) would otherwise start a new cart
/// and replace the visitor's cookie. Browsers say where a request comes from in
/// `Sec-Fetch-Site`, older ones in `Origin`.
pub(super) async fn same_site_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    // `Origin: null` (an opaque origin: a page with `Referrer-Policy: no-referrer`, as
    // cookie-less visitors' pages are) names no site; `Sec-Fetch-Site` still does.
    let origin_host = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| o.starts_with("https://") || o.starts_with("http://"))
        .and_then(|o| o.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.host().map(str::to_ascii_lowercase));
    let host = crate::http::shop::request_host(headers, request.uri());
    let cross_site = request.method() != axum::http::Method::GET
        && (matches!(fetch_site, Some("cross-site" | "same-site"))
            || matches!((&origin_host, &host), (Some(o), Some(h)) if o != h));
    if cross_site {
        return WebError::new(
            StatusCode::FORBIDDEN,
            "cart.cross_site",
            "This cart form can only be sent from the shop's own pages.",
        )
        .into_response();
    }
    next.run(request).await
}

/// A cart problem as a page in the shop's layout: a refusal keeps its status and code;
/// an outage is a 503 with `Retry-After` and a friendly word.
async fn problem(state: &AppState, shop: &Shop, links: Links, err: CartCallError) -> Response {
    let (status, title, message) = match &err {
        CartCallError::Refused {
            status, message, ..
        } => (
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_REQUEST),
            "That did not work",
            message.clone(),
        ),
        unavailable => {
            tracing::warn!(
                error = unavailable as &dyn std::error::Error,
                "cart unavailable"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Cart unavailable",
                "Your cart is taking a short break. Your items are safe; please try again in a few seconds. You can keep browsing meanwhile.".to_owned(),
            )
        }
    };
    let mut response = (
        status,
        axum::response::Html(
            layout(
                shop,
                links,
                title,
                &shop_frame(state, shop).await,
                html! {
                    h1 { (title) }
                    p.notice role="alert" { (message) }
                    p { a href=(links.to("/cart")) { "Back to your cart" } " · " a href=(links.to("/products")) { "Keep browsing" } }
                },
            )
            .into_string(),
        ),
    )
        .into_response();
    match err {
        CartCallError::Refused { code, .. } => {
            response
                .headers_mut()
                .insert("x-error-code", HeaderValue::from_static(code.as_str()));
        }
        _ => {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(CART_RETRY_AFTER_SECS),
            );
        }
    }
    response
}

/// A variant id from a form or path, parsed before anything is sent to the cart: text
/// that is not an id is refused here with the cart's own code.
fn variant_id(text: &str) -> Result<VariantId, CartCallError> {
    text.trim().parse().map_err(|_| CartCallError::Refused {
        status: reqwest::StatusCode::BAD_REQUEST,
        code: ErrorCode::MalformedId,
        message: "The product variant id is malformed.".to_owned(),
    })
}

/// The visitor's cart, or the cart named by a form's hidden token field.
fn resolve(visit: Visit, token: Option<&str>) -> Visit {
    match (visit.cart, token.map(CartId::parse)) {
        (None, Some(Ok(id))) => Visit {
            cart: Some(id),
            mode: Mode::Visit,
        },
        _ => visit,
    }
}

/// After a change: back to the cart page, renewing the cookie when there is one.
fn to_cart(visit: Visit, cart: CartId, ttl: u64) -> Response {
    let mut response = Redirect::to("/cart").into_response();
    if visit.mode == Mode::Cookie && ttl > 0 {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie(cart, ttl));
    }
    response
}
