//! Checkout: the review page (the buyer's details from the cart's sealed draft, shipping
//! rates for their country, lines and totals priced by the orders service from Postgres
//! now), placing the order, and the buyer's order status page. Plain HTML forms and 303
//! redirects, with and without cookies: no JavaScript needed.
//!
//! The storefront never computes a price: the review shows the orders service's quote, and
//! the order form carries the total the buyer saw, so a price or stock change between
//! review and placement is refused and shown, never silently charged. Each review page
//! carries a fresh idempotency key; sending the form twice places one order.

mod pay;
mod place;
mod review;
mod status;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_cart_api::Prefill;
use platform_domain::{CheckoutField, CheckoutFields, FieldRule};
use platform_orders_api::{Address, Contact, ErrorCode, OrdersCallError};

use crate::db::catalog::Frame;
use crate::http::links::Links;
use crate::{AppState, Shop};

/// Checkout routes. Posts are accepted from the shop's own pages only.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checkout", get(review::review))
        .route("/checkout/place", post(place::place))
        .route("/orders/{code}", get(status::page_for))
        .route("/orders/{code}/pay", post(pay::pay))
        .route("/orders/{code}/return", get(pay::returned))
        .route_layer(axum::middleware::from_fn(super::cart::same_site_only))
}

/// What the buyer sees of the shop's details form, from the draft: only the fields the
/// shop asks for, so a value kept from before the shop hid a field is never sent (O2).
pub(crate) fn buyer(fields: &CheckoutFields, draft: &Prefill) -> (Contact, Option<Address>) {
    let asked = |f: CheckoutField, v: &str| {
        if fields.rule(f).is_collected() {
            v.trim().to_owned()
        } else {
            String::new()
        }
    };
    let contact = Contact {
        name: asked(CheckoutField::Name, &draft.name),
        email: asked(CheckoutField::Email, &draft.email),
        phone: asked(CheckoutField::Phone, &draft.phone),
    };
    let address = fields.address.is_collected().then(|| Address {
        name: contact.name.clone(),
        line1: draft.address_line1.trim().to_owned(),
        line2: draft.address_line2.trim().to_owned(),
        postal_code: draft.postal_code.trim().to_owned(),
        city: draft.city.trim().to_owned(),
        region: String::new(),
        country: draft.country.trim().to_owned(),
    });
    let address = address.filter(|a| {
        !(a.line1.is_empty()
            && a.postal_code.is_empty()
            && a.city.is_empty()
            && a.country.is_empty())
    });
    (contact, address)
}

/// The fields the shop requires that the draft leaves empty, by label.
pub(crate) fn missing(fields: &CheckoutFields, draft: &Prefill) -> Vec<&'static str> {
    let required = |f: CheckoutField| fields.rule(f) == FieldRule::Required;
    let mut missing = Vec::new();
    for (field, value) in [
        (CheckoutField::Name, &draft.name),
        (CheckoutField::Email, &draft.email),
        (CheckoutField::Phone, &draft.phone),
    ] {
        if required(field) && value.trim().is_empty() {
            missing.push(field.label());
        }
    }
    if required(CheckoutField::Address)
        && [
            &draft.address_line1,
            &draft.postal_code,
            &draft.city,
            &draft.country,
        ]
        .iter()
        .any(|v| v.trim().is_empty())
    {
        missing.push(CheckoutField::Address.label());
    }
    missing
}

/// A checkout page: the shop's frame, never stored by any cache (personal data), and no
/// Referer leaves it (the status page's address is the buyer's key to their order).
fn page(shop: &Shop, links: Links, title: &str, frame: &Frame, body: Markup) -> Response {
    super::layout::private_page(axum::http::StatusCode::OK, shop, links, title, frame, body)
}

/// The sentence that links the privacy policy beside every form that collects details (O20).
fn privacy_note(links: Links) -> Markup {
    html! {
        p.small {
            "We use your details to fulfil this order and to reach you if it has trouble. See our "
            a href=(links.to("/policies/privacy")) { "privacy policy" } "."
        }
    }
}

/// What to tell the buyer about a refusal the review page can show.
fn notice_for(code: &str) -> Option<&'static str> {
    Some(match ErrorCode::parse(code)? {
        ErrorCode::TotalsChanged => {
            "Prices, stock or shipping changed since you last looked. Please check the new total before you order."
        }
        ErrorCode::InsufficientStock => {
            "Some items are no longer in stock in the quantity you chose. Please adjust your cart."
        }
        ErrorCode::VariantUnavailable => {
            "An item in your cart is no longer sold. Please remove it from your cart."
        }
        ErrorCode::ShippingUnavailable => "Please choose a shipping method for your country.",
        _ => return None,
    })
}

/// Whether the orders service is away (as opposed to refusing).
fn unavailable(e: &OrdersCallError) -> bool {
    e.is_unavailable()
}
