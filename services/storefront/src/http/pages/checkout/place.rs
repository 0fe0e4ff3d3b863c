//! Placing the order from the review page's form.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use platform_cart_api::{CartId, Prefill};
use platform_domain::ShippingRateId;
use platform_orders_api::{ErrorCode, LineRequest, MarketingOptIn, OrdersCallError, PlaceOrder};
use platform_web::{ClientIp, FormBody};
use serde::Deserialize;

use super::{buyer, page, unavailable};
use crate::db::catalog::{self, Frame};
use crate::error::ShopError;
use crate::http::links::Links;
use crate::http::visit::Visit;
use crate::{AppState, Shop};

#[derive(Deserialize)]
pub(super) struct PlaceForm {
    /// The idempotency key of this rendering of the form.
    key: String,
    /// The total the buyer saw.
    expected_total: i64,
    /// The shipping rate chosen.
    rate: Option<String>,
    /// A cookie-less visitor's cart.
    cart_token: Option<String>,
    /// The marketing box, ticked (`yes`).
    news: Option<String>,
    /// The privacy policy version the page linked to.
    policy_version: Option<i32>,
}

pub(super) async fn place(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    FormBody(form): FormBody<PlaceForm>,
) -> Result<Response, ShopError> {
    let visit = match (visit.cart, form.cart_token.as_deref().map(CartId::parse)) {
        (None, Some(Ok(id))) => Visit {
            cart: Some(id),
            mode: platform_cart_api::Mode::Visit,
        },
        _ => visit,
    };
    let links = Links::of(visit);
    // The key is the one the review page made: 128 random bits in hex, so no visitor can
    // name (and so look up) an order placed under a key they did not receive.
    if form.key.len() != 32
        || !form
            .key
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Ok(Redirect::to("/checkout").into_response());
    }
    let Some(cart) = visit.cart else {
        return Ok(Redirect::to("/cart").into_response());
    };
    let rate = match form.rate.as_deref().map(str::parse::<ShippingRateId>) {
        Some(Err(_)) => {
            return Ok(
                Redirect::to("/checkout?problem=orders.shipping_unavailable").into_response(),
            );
        }
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let view = state.cart.view(shop.id, cart, visit.mode).await?;
    if view.lines.is_empty() {
        // Sent again after the order was placed (and the cart cleared): the same order.
        return Ok(match state.orders.placed_by_key(shop.id, &form.key).await {
            Ok(placed) => {
                super::pay::to_payment(&state, &shop, &headers, &uri, &placed.public_code).await
            }
            Err(_) => Redirect::to("/cart").into_response(),
        });
    }
    let draft = if view.has_prefill {
        state.cart.prefill(shop.id, cart, visit.mode).await?
    } else {
        Prefill::default()
    };
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let fields = catalog::checkout_fields(&mut tx).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    let (contact, shipping) = buyer(&fields, &draft);
    let order = PlaceOrder {
        lines: view
            .lines
            .iter()
            .map(|l| LineRequest {
                variant_id: l.variant_id,
                quantity: l.quantity,
            })
            .collect(),
        contact,
        shipping,
        shipping_rate_id: rate,
        expected_total_minor: form.expected_total,
        // The buyer's full address goes on the order and nowhere else (O5).
        buyer_ip: ip,
        marketing: (form.news.as_deref() == Some("yes")).then_some(MarketingOptIn {
            policy_version: form.policy_version,
        }),
        // Kept with the details only in shops that sell to minors (O19).
        age_band: platform_domain::AgeBand::parse(&draft.age_band),
        guardian: (!draft.guardian.is_empty()).then(|| draft.guardian.clone()),
    };
    // A second send while the first is still running (a double click) waits for it and
    // gets its answer: the same key and body replay the order once it is placed.
    let mut outcome = state.orders.place(shop.id, &form.key, &order).await;
    for _ in 0..20 {
        if outcome.as_ref().err().and_then(OrdersCallError::code)
            != Some(ErrorCode::RequestInFlight)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        outcome = state.orders.place(shop.id, &form.key, &order).await;
    }
    match outcome {
        Ok(placed) => {
            // The cart is done; if clearing fails it simply expires.
            if let Err(e) = state.cart.clear(shop.id, cart, visit.mode).await {
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "cart not cleared after an order"
                );
            }
            Ok(super::pay::to_payment(&state, &shop, &headers, &uri, &placed.public_code).await)
        }
        Err(OrdersCallError::Refused { code, message, .. }) => {
            if super::notice_for(code.as_str()).is_some() {
                let mut to = format!("/checkout?problem={}", code.as_str());
                if let Some(r) = rate {
                    to.push_str(&format!("&rate={r}"));
                }
                return Ok(Redirect::to(&to).into_response());
            }
            Ok(refused(&shop, links, frame, &message))
        }
        Err(e) if unavailable(&e) => {
            tracing::warn!(error = &e as &dyn std::error::Error, "orders unavailable");
            Ok(super::pay::allow_pay_forms(
                &state,
                retry(&shop, links, frame, &form),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// A refusal the review page cannot show (the details do not pass): say why, link back.
fn refused(shop: &Shop, links: Links, frame: &Frame, message: &str) -> Response {
    let mut response = page(
        shop,
        links,
        "Your order was not placed",
        frame,
        html! {
            h1 { "Your order was not placed" }
            p.notice role="alert" { (message) }
            p { a href={ (links.to("/cart")) "#details" } { "Check your details" } " · " a href=(links.to("/checkout")) { "Back to checkout" } }
        },
    );
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// Orders is away: offer to send the very same order again (same key, so at most one
/// order results however often it is sent).
fn retry(shop: &Shop, links: Links, frame: &Frame, form: &PlaceForm) -> Response {
    let mut response = page(
        shop,
        links,
        "Please try again",
        frame,
        html! {
            h1 { "Please try again" }
            p.notice role="alert" { "We could not confirm your order just now. Nothing was charged. Sending it again is safe: it can only be placed once." }
            form method="post" action=(links.to("/checkout/place")) {
                (links.token_field())
                input type="hidden" name="key" value=(form.key);
                input type="hidden" name="expected_total" value=(form.expected_total);
                @if let Some(r) = &form.rate { input type="hidden" name="rate" value=(r); }
                @if let Some(n) = &form.news { input type="hidden" name="news" value=(n); }
                @if let Some(v) = form.policy_version { input type="hidden" name="policy_version" value=(v); }
                button type="submit" { "Send my order again" }
            }
        },
    );
    *response.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("2"),
    );
    response
}
