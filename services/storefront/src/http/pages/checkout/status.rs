//! The buyer's order status page, opened by the order's public code: what was ordered and
//! where it stands, and none of the buyer's details.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use platform_orders_api::{ErrorCode, OrderStatus, OrdersCallError};
use platform_web::{PathParams, QueryParams, WebError};
use serde::Deserialize;

use super::page;
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

#[derive(Deserialize, Default)]
pub(super) struct StatusQuery {
    placed: Option<String>,
    paid: Option<String>,
    payment: Option<String>,
}

/// What the processor said of the last card tried, in the buyer's words.
fn failure_text(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => {
            "Your card was declined for insufficient funds. You can pay with another card."
        }
        _ => "Your card was declined. You can pay with another card.",
    }
}

fn describe(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => "Waiting for payment",
        OrderStatus::Paid => "Paid, being prepared",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::Refunded => "Refunded",
    }
}

pub(super) async fn page_for(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(code): PathParams<String>,
    QueryParams(q): QueryParams<StatusQuery>,
) -> Result<Response, ShopError> {
    let order = match state.orders.by_code(shop.id, &code).await {
        Ok(order) => order,
        Err(OrdersCallError::Refused {
            code: ErrorCode::NotFound,
            ..
        }) => {
            return Err(WebError::not_found("order.not_found", "There is no such order.").into());
        }
        Err(e) => return Err(e.into()),
    };
    let settings = state.settings.of(shop.id).await?;
    let frame = &settings.frame;
    let money = |minor: i64| platform_domain::Money::new(minor, order.currency);
    let title = format!("Order {}", order.reference);
    let payable = order.status == OrderStatus::PendingPayment
        && state.pay_csp.is_some()
        && order.hold_until > chrono::Utc::now();
    let captured = order
        .payment
        .as_ref()
        .filter(|p| p.status == "captured" && p.card_last4.is_some());
    let failure = order
        .payment
        .as_ref()
        .filter(|p| p.status == "pending")
        .and_then(|p| p.last_failure.as_deref());
    let response = page(
        &shop,
        links,
        &title,
        frame,
        html! {
            h1 { (title) }
            @if q.paid.is_some() && order.status != OrderStatus::PendingPayment {
                p.notice role="status" { "Thank you: your payment was received and your order is confirmed." }
            } @else if q.placed.is_some() {
                p.notice role="status" { "Thank you: your order is placed." }
            }
            @if q.payment.as_deref() == Some("unavailable") && payable {
                p.notice role="alert" { "Payment is not available for a moment. Your order is kept; please try again shortly." }
            }
            p { strong { (describe(order.status)) } }
            @if let Some(s) = &order.shipment {
                p {
                    "Shipped with " (s.carrier) ", tracking number "
                    @if let Some(u) = &s.tracking_url { a href=(u) rel="noreferrer" { (s.tracking_number) } } @else { (s.tracking_number) }
                    @if let Some(at) = s.delivered_at { ". Delivered " (at.format("%Y-%m-%d")) } "."
                }
            }
            @if let Some(p) = captured {
                p.small { "Paid by " (p.card_brand.as_deref().unwrap_or("card")) " ending in " (p.card_last4.as_deref().unwrap_or("")) "." }
            }
            @if payable {
                @if let Some(code) = failure {
                    p.notice role="alert" { (failure_text(code)) }
                }
                form method="post" action={ "/orders/" (code) "/pay" } {
                    button type="submit" { "Pay " (money(order.total_minor)) " now" }
                }
                p.small { "You will type your card on our payment processor's secure page; this shop never sees your card number." }
            }
            @if order.status == OrderStatus::PendingPayment {
                p.small { "Unpaid orders are cancelled at " (order.hold_until.format("%Y-%m-%d %H:%M UTC")) " and their items go back on sale." }
            }
            p.small { "Keep this page's address to check on your order; anyone who has it can see what you ordered, but none of your details." }
            table.cart {
                caption.visually-hidden { "Items in your order" }
                thead { tr { th scope="col" { "Item" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } } }
                tbody {
                    @for line in &order.lines {
                        tr {
                            td { (line.product_title) @if !line.variant_title.is_empty() && line.variant_title != "Default" { br; span.small { (line.variant_title) } } }
                            td { (money(line.unit_price_minor)) }
                            td { (line.quantity) }
                            td { (money(line.line_total_minor)) }
                        }
                    }
                }
                tfoot {
                    tr { th scope="row" colspan="3" { "Subtotal" } td { (money(order.subtotal_minor)) } }
                    @if let Some(rate) = &order.shipping_rate_name {
                        tr { th scope="row" colspan="3" { "Shipping (" (rate) ")" } td { (money(order.shipping_minor)) } }
                    }
                    @if order.tax_minor > 0 {
                        tr { th scope="row" colspan="3" { @if order.tax_inclusive { "Including tax" } @else { "Tax" } } td { (money(order.tax_minor)) } }
                    }
                    tr.total { th scope="row" colspan="3" { "Total" } td { strong { (money(order.total_minor)) } } }
                    @if order.refunded_minor > 0 {
                        tr { th scope="row" colspan="3" { "Refunded" } td { (money(order.refunded_minor)) } }
                    }
                }
            }
            p { a href=(links.to("/products")) { "Continue shopping" } }
        },
    );
    Ok(super::pay::allow_pay_forms(&state, response))
}
