//! The review page: everything the order will be, priced now.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use platform_cart_api::{CartView, Prefill};
use platform_domain::{CheckoutField, ShippingRateId};
use platform_orders_api::{LineRequest, Quote, QuoteRequest};
use platform_web::QueryParams;
use serde::Deserialize;

use super::{buyer, missing, notice_for, privacy_note};
use crate::db::catalog;
use crate::error::ShopError;
use crate::http::links::Links;
use crate::http::visit::Visit;
use crate::{AppState, Shop};

#[derive(Deserialize, Default)]
pub(super) struct ReviewQuery {
    /// The chosen shipping rate.
    rate: Option<String>,
    /// A refusal code from a placement that did not go through.
    problem: Option<String>,
}

/// A fresh idempotency key for this rendering of the order form: 128 random bits.
fn order_key() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) async fn review(
    State(state): State<AppState>,
    shop: Shop,
    visit: Visit,
    QueryParams(q): QueryParams<ReviewQuery>,
) -> Result<Response, ShopError> {
    let links = Links::of(visit);
    let Some(cart) = visit.cart else {
        return Ok(Redirect::to("/cart").into_response());
    };
    let view = state.cart.view(shop.id, cart, visit.mode).await?;
    if view.lines.is_empty() {
        return Ok(Redirect::to("/cart").into_response());
    }
    let draft = if view.has_prefill {
        state.cart.prefill(shop.id, cart, visit.mode).await?
    } else {
        Prefill::default()
    };
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let frame = &settings.frame;
    let (policy, _) = catalog::policies(&mut tx, chrono::Utc::now()).await?;
    tx.commit().await?;
    let chosen = q
        .rate
        .as_deref()
        .and_then(|r| r.parse::<ShippingRateId>().ok());
    // With no rate chosen, orders preselects the merchant's first one: one round trip.
    let quote = quote(&state, &shop, &view, &draft, chosen).await?;
    let notice = q.problem.as_deref().and_then(notice_for);
    let page = super::page(
        &shop,
        links,
        "Checkout",
        frame,
        markup(
            &view,
            &draft,
            &quote,
            notice,
            links,
            Offer {
                shop: &shop.display_name,
                policy: policy.map(|p| p.version),
            },
        ),
    );
    Ok(super::pay::allow_pay_forms(&state, page))
}

async fn quote(
    state: &AppState,
    shop: &Shop,
    view: &CartView,
    draft: &Prefill,
    chosen: Option<ShippingRateId>,
) -> Result<Quote, ShopError> {
    let request = QuoteRequest {
        lines: view
            .lines
            .iter()
            .map(|l| LineRequest {
                variant_id: l.variant_id,
                quantity: l.quantity,
            })
            .collect(),
        country: Some(draft.country.clone()).filter(|c| c.len() == 2),
        shipping_rate_id: chosen,
    };
    Ok(state.orders.quote(shop.id, &request).await?)
}

/// The marketing box's words: the shop that asks, and the policy version in force.
struct Offer<'a> {
    shop: &'a str,
    policy: Option<i32>,
}

fn markup(
    view: &CartView,
    draft: &Prefill,
    quote: &Quote,
    notice: Option<&str>,
    links: Links,
    offer: Offer<'_>,
) -> Markup {
    let fields = &quote.fields;
    let (contact, address) = buyer(fields, draft);
    let missing = missing(fields, draft);
    let ships = fields.address.is_collected();
    let money = |minor: i64| quote.money(minor);
    let can_order = quote.ready && missing.is_empty();
    html! {
        h1 { "Checkout" }
        @if let Some(n) = notice { p.notice role="alert" { (n) } }
        section aria-labelledby="who" {
            h2 #who { "Your details" }
            @if !missing.is_empty() {
                p.notice role="status" { "Still needed: " (missing.join(", ")) "." }
            }
            dl.details {
                @if fields.rule(CheckoutField::Name).is_collected() { dt { "Name" } dd { (or_dash(&contact.name)) } }
                @if fields.rule(CheckoutField::Email).is_collected() { dt { "Email" } dd { (or_dash(&contact.email)) } }
                @if fields.rule(CheckoutField::Phone).is_collected() { dt { "Phone" } dd { (or_dash(&contact.phone)) } }
                @if ships {
                    dt { "Ship to" }
                    dd {
                        @if let Some(a) = &address {
                            (a.line1) @if !a.line2.is_empty() { ", " (a.line2) } br;
                            (a.postal_code) " " (a.city) br;
                            (a.country)
                        } @else { "—" }
                    }
                }
            }
            p { a href={ (links.to("/cart")) "#details" } { "Change your details" } }
            (privacy_note(links))
        }
        @if ships {
            section aria-labelledby="shipping" {
                h2 #shipping { "Shipping" }
                @if address.is_none() {
                    p { "Add your address to see the shipping methods." }
                } @else if quote.shipping_options.is_empty() {
                    p.notice role="status" { "Sorry, this shop does not ship to " (draft.country.to_uppercase()) ". It ships to: " (quote.countries.join(", ")) "." }
                } @else {
                    form.shipping method="get" action=(links.to("/checkout")) {
                        fieldset {
                            legend { "Shipping method" }
                            @for option in &quote.shipping_options {
                                @let checked = quote.shipping.as_ref().is_some_and(|s| s.id == option.id);
                                p {
                                    input type="radio" name="rate" id={ "rate-" (option.id) } value=(option.id) checked[checked];
                                    label for={ "rate-" (option.id) } { (option.name) " · " (money(option.price_minor)) }
                                }
                            }
                        }
                        button.secondary type="submit" { "Update shipping" }
                    }
                }
            }
        }
        section aria-labelledby="order" {
            h2 #order { "Your order" }
            table.cart {
                caption.visually-hidden { "Items in your order" }
                thead { tr { th scope="col" { "Item" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } } }
                tbody {
                    @for (line, cart_line) in quote.lines.iter().zip(&view.lines) {
                        tr {
                            td {
                                (line.product_title)
                                @if !line.variant_title.is_empty() && line.variant_title != "Default" { br; span.small { (line.variant_title) } }
                                @if cart_line.price_changed {
                                    @if let Some(old) = cart_line.added_price() {
                                        p.notice role="status" { "Price changed from " (old) " to " (money(line.unit_price_minor)) "." }
                                    }
                                }
                                @if !line.available {
                                    p.notice role="status" {
                                        @if line.in_stock > 0 { "Only " (line.in_stock) " left in stock." } @else { "Not available; please remove it from your cart." }
                                    }
                                }
                            }
                            td { (money(line.unit_price_minor)) }
                            td { (line.quantity) }
                            td { (money(line.line_total_minor)) }
                        }
                    }
                }
                tfoot {
                    tr { th scope="row" colspan="3" { "Subtotal" } td { (money(quote.subtotal_minor)) } }
                    @if ships { tr { th scope="row" colspan="3" { "Shipping" } td { (money(quote.shipping_minor)) } } }
                    @if quote.tax_rate_bp > 0 {
                        tr {
                            th scope="row" colspan="3" {
                                @if quote.tax_inclusive { "Including tax (" } @else { "Tax (" }
                                (platform_domain::percent_text(quote.tax_rate_bp)) " %)"
                            }
                            td { (money(quote.tax_minor)) }
                        }
                    }
                    tr.total { th scope="row" colspan="3" { "Total" } td { strong { (money(quote.total_minor)) } } }
                }
            }
            @if can_order {
                form.place method="post" action=(links.to("/checkout/place")) {
                    (links.token_field())
                    input type="hidden" name="key" value=(order_key());
                    input type="hidden" name="expected_total" value=(quote.total_minor);
                    @if let Some(s) = &quote.shipping { input type="hidden" name="rate" value=(s.id); }
                    // Marketing only if the buyer ticks it (O17): never ticked for them,
                    // and confirmed by mail before anything is sent.
                    @if !contact.email.is_empty() {
                        p.choice {
                            input #news type="checkbox" name="news" value="yes";
                            label for="news" { "Email me news and offers from " (offer.shop) ". We send a link to confirm first; every newsletter has a one-click unsubscribe." }
                        }
                        @if let Some(v) = offer.policy { input type="hidden" name="policy_version" value=(v); }
                    }
                    p.small { "Next you pay on our payment provider's page; your card number is never sent to this shop." }
                    button type="submit" { "Place order · " (money(quote.total_minor)) }
                }
            } @else {
                p { a href=(links.to("/cart")) { "Back to your cart" } }
            }
        }
    }
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}
