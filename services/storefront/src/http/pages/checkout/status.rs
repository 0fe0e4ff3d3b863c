//! The buyer's order status page, opened by the order's public code: what was ordered and
//! where it stands, and none of the buyer's details.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use platform_orders_api::{ErrorCode, OrderStatus, OrdersCallError};
use platform_web::{PathParams, QueryParams, WebError};
use serde::Deserialize;

use super::page;
use crate::db::catalog;
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

#[derive(Deserialize, Default)]
pub(super) struct StatusQuery {
    placed: Option<String>,
}

fn describe(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => "Waiting for payment",
        OrderStatus::Paid => "Paid, being prepared",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::Cancelled => "Cancelled",
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
    let mut tx = state.db.begin(shop.id).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    let money = |minor: i64| platform_domain::Money::new(minor, order.currency);
    let title = format!("Order {}", order.reference);
    Ok(page(
        &shop,
        links,
        &title,
        contact.as_deref(),
        html! {
            h1 { (title) }
            @if q.placed.is_some() {
                p.notice role="status" { "Thank you: your order is placed." }
            }
            p { strong { (describe(order.status)) } }
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
    ))
}
