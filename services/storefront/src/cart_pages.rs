//! The cart in the shop: the cart page (quantities, removal, the checkout draft) and the
//! forms that change it. Plain HTML forms and 303 redirects: no JavaScript needed.
//!
//! A first "add to cart" creates a cart, sets the cookie and redirects to
//! `/cart?new=<id>`. If the cookie comes back the visitor keeps the cart across visits;
//! if not, the browser refuses cookies and the cart switches to the cookie-less mode
//! (two-hour TTL) with its token in the URL from then on.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cart::api::{CartView, Mode, Prefill};
use cart::domain::CartId;
use maud::{Markup, PreEscaped, html};
use platform_web::{FormBody, PathParams, QueryParams, WebError};
use serde::Deserialize;

use crate::cart_client::{CartCallError, RETRY_AFTER_SECS};
use crate::error::ShopError;
use crate::pages::{layout, money};
use crate::visit::{TOKEN_FIELD_MARKER, Visit, cookie};
use crate::{AppState, Shop, catalog};

/// Cart routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cart", get(cart_page))
        .route("/cart/add", post(add))
        .route("/cart/lines/{variant}", post(update))
        .route("/cart/lines/{variant}/remove", post(remove))
        .route("/cart/clear", post(clear))
        .route("/cart/details", post(save_details))
        .route("/cart/details/forget", post(forget_details))
}

/// The hidden token field, filled in for cookie-less visitors by the visit middleware.
fn token_field() -> Markup {
    PreEscaped(TOKEN_FIELD_MARKER.to_owned())
}

/// A cart problem as a page in the shop's layout: a refusal keeps its status and code;
/// an outage is a 503 with `Retry-After` and a friendly word.
fn problem(shop: &Shop, err: CartCallError) -> Response {
    let (status, title, message) = match &err {
        CartCallError::Unavailable(cause) => {
            tracing::warn!(cause, "cart unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Cart unavailable",
                "Your cart is taking a short break. Your items are safe; please try again in a few seconds. You can keep browsing meanwhile.".to_owned(),
            )
        }
        CartCallError::Refused {
            status, message, ..
        } => (*status, "That did not work", message.clone()),
    };
    let mut response = (
        status,
        axum::response::Html(
            layout(
                shop,
                title,
                None,
                html! {
                    h1 { (title) }
                    p.notice role="alert" { (message) }
                    p { a href="/cart" { "Back to your cart" } " · " a href="/products" { "Keep browsing" } }
                },
            )
            .into_string(),
        ),
    )
        .into_response();
    if let CartCallError::Unavailable(_) = err {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    } else if let CartCallError::Refused { code, .. } = &err
        && let Ok(v) = HeaderValue::from_str(code)
    {
        response.headers_mut().insert("x-error-code", v);
    }
    response
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

#[derive(Deserialize, Default)]
struct CartQuery {
    new: Option<String>,
}

fn line_row(line: &cart::api::LineView) -> Markup {
    let variant = line.variant_id.to_string();
    html! {
        tr {
            td {
                @if line.product_handle.is_empty() {
                    (line.product_title)
                } @else {
                    a href={ "/products/" (line.product_handle) } { (line.product_title) }
                }
                @if !line.variant_title.is_empty() && line.variant_title != "Default" { br; span.small { (line.variant_title) } }
                @if line.price_changed {
                    @if let (Some(old), Some(new)) = (line.added_price_minor, line.unit_price_minor) {
                        p.notice role="status" { "Price changed from " (money(old, &line.currency)) " to " (money(new, &line.currency)) "." }
                    }
                }
                @if !line.available {
                    p.notice role="status" { "No longer available; it is not counted in the total." }
                } @else if line.stock_short {
                    p.notice role="status" { "Only " (line.stock) " left in stock." }
                }
            }
            td {
                @if let Some(price) = line.unit_price_minor { (money(price, &line.currency)) }
            }
            td {
                form.inline method="post" action={ "/cart/lines/" (variant) } {
                    (token_field())
                    label.visually-hidden for={ "q-" (variant) } { "Quantity of " (line.product_title) }
                    input id={ "q-" (variant) } type="number" name="quantity" min="1" max="999" value=(line.quantity) required;
                    button type="submit" { "Update" }
                }
            }
            td { (money(line.line_total_minor, &line.currency)) }
            td {
                form.inline method="post" action={ "/cart/lines/" (variant) "/remove" } {
                    (token_field())
                    button.secondary type="submit" { "Remove" span.visually-hidden { " " (line.product_title) } }
                }
            }
        }
    }
}

fn details_form(fields: &serde_json::Value, prefill: &Prefill, has_prefill: bool) -> Markup {
    let mode = |name: &str| fields[name].as_str().unwrap_or("optional").to_owned();
    let input = |id: &str,
                 label: &str,
                 kind: &str,
                 value: &str,
                 autocomplete: &str,
                 required: bool| {
        html! {
            p {
                label for=(id) { (label) @if !required { " (optional)" } }
                input id=(id) name=(id) type=(kind) value=(value) autocomplete=(autocomplete) maxlength="200";
            }
        }
    };
    html! {
        section aria-labelledby="details" {
            h2 #details { "Your details for checkout" }
            p.small { "Saved with this cart, encrypted, so they are filled in when you come back. Leave out what you like; you can remove them at any time." }
            form.details method="post" action="/cart/details" {
                (token_field())
                @if mode("name") != "hidden" { (input("name", "Full name", "text", &prefill.name, "name", mode("name") == "required")) }
                @if mode("email") != "hidden" { (input("email", "Email", "email", &prefill.email, "email", mode("email") == "required")) }
                @if mode("phone") != "hidden" { (input("phone", "Phone", "tel", &prefill.phone, "tel", mode("phone") == "required")) }
                @if mode("address") != "hidden" {
                    (input("address_line1", "Street and number", "text", &prefill.address_line1, "address-line1", mode("address") == "required"))
                    (input("address_line2", "Apartment, suite", "text", &prefill.address_line2, "address-line2", false))
                    (input("postal_code", "Postal code", "text", &prefill.postal_code, "postal-code", mode("address") == "required"))
                    (input("city", "City", "text", &prefill.city, "address-level2", mode("address") == "required"))
                    (input("country", "Country (two letters, e.g. DE)", "text", &prefill.country, "country", mode("address") == "required"))
                }
                button type="submit" { "Save my details" }
            }
            @if has_prefill {
                form method="post" action="/cart/details/forget" {
                    (token_field())
                    button.secondary type="submit" { "Forget my details" }
                }
            }
        }
    }
}

fn cart_markup(view: &CartView, fields: &serde_json::Value, prefill: &Prefill) -> Markup {
    html! {
        h1 { "Your cart" }
        @if view.lines.is_empty() {
            p { "Your cart is empty." }
            p { a href="/products" { "Browse products →" } }
        } @else {
            @if view.needs_attention {
                p.notice role="status" { "Something in your cart changed since you added it. Please check the items marked below." }
            }
            table.cart {
                caption.visually-hidden { "Items in your cart" }
                thead { tr { th scope="col" { "Item" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody { @for line in &view.lines { (line_row(line)) } }
                tfoot { tr { th scope="row" colspan="3" { "Subtotal (" (view.item_count) " items)" } td { (money(view.subtotal_minor, &view.currency)) } td {} } }
            }
            form method="post" action="/cart/clear" {
                (token_field())
                button.secondary type="submit" { "Empty the cart" }
            }
        }
        (details_form(fields, prefill, view.has_prefill))
        @if view.mode == Mode::Visit {
            p.small { "Your browser does not keep cookies, so this cart lasts for this visit only (two hours without activity)." }
        }
    }
}

async fn cart_page(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    QueryParams(q): QueryParams<CartQuery>,
) -> Result<Response, ShopError> {
    // The cookie check after a first add: did the cookie come back?
    if let Some(new) = q.new.as_deref().and_then(|n| CartId::parse(n).ok()) {
        if visit.cart == Some(new) {
            return Ok(Redirect::to("/cart").into_response());
        }
        if visit.cart.is_none() {
            return Ok(match state.cart.set_mode(shop.id, new, Mode::Visit).await {
                Ok(_) => Redirect::to(&format!("/c/{new}/cart")).into_response(),
                Err(e) => problem(&shop, e),
            });
        }
    }
    let mut tx = state.db.begin(shop.id).await?;
    let fields = catalog::checkout_fields(&mut tx).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    let (view, prefill) = match visit.cart {
        None => (
            CartView {
                mode: visit.mode,
                ttl_seconds: 0,
                currency: String::new(),
                item_count: 0,
                subtotal_minor: 0,
                lines: Vec::new(),
                has_prefill: false,
                needs_attention: false,
            },
            Prefill::default(),
        ),
        Some(cart) => {
            let view = match state.cart.view(shop.id, cart, visit.mode).await {
                Ok(v) => v,
                Err(e) => return Ok(problem(&shop, e)),
            };
            let prefill = if view.has_prefill {
                match state.cart.prefill(shop.id, cart, visit.mode).await {
                    Ok(p) => p,
                    Err(e) => return Ok(problem(&shop, e)),
                }
            } else {
                Prefill::default()
            };
            (view, prefill)
        }
    };
    let mut response = axum::response::Html(
        layout(
            &shop,
            "Your cart",
            contact.as_deref(),
            cart_markup(&view, &fields, &prefill),
        )
        .into_string(),
    )
    .into_response();
    // Personal data may be on this page: never stored by any cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if visit.cart.is_some() {
        response
            .extensions_mut()
            .insert(crate::visit::KnownSummary(cart::api::Summary {
                item_count: view.item_count,
                ttl_seconds: view.ttl_seconds,
            }));
    }
    if let (Some(cart), Mode::Cookie, true) = (visit.cart, visit.mode, view.ttl_seconds > 0) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie(cart, view.ttl_seconds));
    }
    Ok(response)
}

#[derive(Deserialize)]
struct AddForm {
    variant: String,
    #[serde(default = "one")]
    quantity: i64,
    cart_token: Option<String>,
}

fn one() -> i64 {
    1
}

async fn add(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<AddForm>,
) -> Response {
    let visit = resolve(visit, form.cart_token.as_deref());
    let (cart, fresh) = match visit.cart {
        Some(id) => (id, false),
        None => (CartId::random(), true),
    };
    match state
        .cart
        .add(shop.id, cart, visit.mode, form.variant, form.quantity)
        .await
    {
        Ok(changed) if fresh => {
            let mut response = Redirect::to(&format!("/cart?new={cart}")).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie(cart, changed.ttl_seconds));
            response
        }
        Ok(changed) => to_cart(visit, cart, changed.ttl_seconds),
        Err(e) => problem(&shop, e),
    }
}

#[derive(Deserialize)]
struct QuantityForm {
    quantity: i64,
    cart_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenForm {
    cart_token: Option<String>,
}

fn no_cart() -> ShopError {
    ShopError::from(WebError::not_found(
        "cart.not_found",
        "There is no cart here. It may have expired.",
    ))
}

async fn update(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    PathParams(variant): PathParams<String>,
    FormBody(form): FormBody<QuantityForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let cart = visit.cart.ok_or_else(no_cart)?;
    Ok(
        match state
            .cart
            .set_quantity(shop.id, cart, visit.mode, &variant, form.quantity)
            .await
        {
            Ok(changed) => to_cart(visit, cart, changed.ttl_seconds),
            Err(e) => problem(&shop, e),
        },
    )
}

async fn remove(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    PathParams(variant): PathParams<String>,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let cart = visit.cart.ok_or_else(no_cart)?;
    Ok(
        match state.cart.remove(shop.id, cart, visit.mode, &variant).await {
            // Removing what is already gone (a second tab) is not an error to the visitor.
            Ok(()) | Err(CartCallError::Refused { .. }) => to_cart(visit, cart, 0),
            Err(e) => problem(&shop, e),
        },
    )
}

async fn clear(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let cart = visit.cart.ok_or_else(no_cart)?;
    Ok(match state.cart.clear(shop.id, cart, visit.mode).await {
        Ok(()) => to_cart(visit, cart, 0),
        Err(e) => problem(&shop, e),
    })
}

#[derive(Deserialize)]
struct DetailsForm {
    #[serde(flatten)]
    prefill: Prefill,
    cart_token: Option<String>,
}

async fn save_details(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<DetailsForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let (cart, fresh) = match visit.cart {
        Some(id) => (id, false),
        None => (CartId::random(), true),
    };
    Ok(
        match state
            .cart
            .save_prefill(shop.id, cart, visit.mode, &form.prefill)
            .await
        {
            Ok(saved) if fresh => {
                let mut response = Redirect::to(&format!("/cart?new={cart}")).into_response();
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, cookie(cart, saved.ttl_seconds));
                response
            }
            Ok(saved) => to_cart(visit, cart, saved.ttl_seconds),
            Err(e) => problem(&shop, e),
        },
    )
}

async fn forget_details(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    FormBody(form): FormBody<TokenForm>,
) -> Result<Response, ShopError> {
    let visit = resolve(visit, form.cart_token.as_deref());
    let cart = visit.cart.ok_or_else(no_cart)?;
    Ok(
        match state.cart.forget_prefill(shop.id, cart, visit.mode).await {
            Ok(()) => to_cart(visit, cart, 0),
            Err(e) => problem(&shop, e),
        },
    )
}
