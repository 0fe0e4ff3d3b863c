//! Orders in the console: the list (filter by status, search by number, older pages) and
//! one order with the buyer's details and its history.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::{Money, OrderId, OrderStatus};
use platform_orders_api::{OrderDetail, OrderList, OrderListQuery};
use platform_web::{PathParams, QueryParams};

use super::layout::{layout, page};
use crate::app::AppState;
use crate::app::orders;
use crate::app::staff::Staff;
use crate::error::ApiError;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_page))
        .route("/orders/{id}", get(detail_page))
        .route("/orders/{id}/cancel", axum::routing::post(cancel_submit))
        .route("/orders/{id}/refund", axum::routing::post(refund_submit))
        .route("/orders/{id}/ship", axum::routing::post(ship_submit))
        .route("/orders/{id}/deliver", axum::routing::post(deliver_submit))
}

fn status_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::PendingPayment => "Waiting for payment",
        OrderStatus::Paid => "Paid",
        OrderStatus::Shipped => "Shipped",
        OrderStatus::Delivered => "Delivered",
        OrderStatus::Cancelled => "Cancelled",
        OrderStatus::Refunded => "Refunded",
    }
}

fn list_markup(staff: &Staff, list: &OrderList, query: &OrderListQuery) -> Markup {
    let number = query.number.clone().unwrap_or_default();
    layout(
        "Orders",
        Some(staff),
        html! {
            h1 { "Orders" }
            form.filters method="get" action="/orders" {
                label for="status" { "Status" }
                select #status name="status" {
                    option value="" selected[query.status.is_none()] { "All" }
                    @for s in OrderStatus::ALL {
                        option value=(s.as_str()) selected[query.status == Some(*s)] { (status_label(*s)) }
                    }
                }
                label for="number" { "Order number" }
                input #number name="number" type="search" value=(number);
                button type="submit" { "Show" }
            }
            @if list.orders.is_empty() {
                p { "No orders yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Order" } th scope="col" { "Placed" } th scope="col" { "Status" } th scope="col" { "Items" } th scope="col" { "Total" } } }
                    tbody {
                        @for o in &list.orders {
                            tr {
                                td { a href={ "/orders/" (o.id) } { (o.reference) } }
                                td { (o.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                td { (status_label(o.status)) }
                                td { (o.item_count) }
                                td { (Money::new(o.total_minor, o.currency)) }
                            }
                        }
                    }
                }
                @if let Some(before) = list.next_before {
                    p { a href={ "/orders?before=" (before) @if let Some(s) = query.status { "&status=" (s.as_str()) } } { "Older orders →" } }
                }
            }
        },
    )
}

async fn list_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(mut query): QueryParams<OrderListQuery>,
) -> Result<Response, ApiError> {
    // An empty select or search box means "any".
    query.number = query.number.filter(|n| !n.trim().is_empty());
    let list = orders::list(&state, staff.tenant, &query).await?;
    Ok(page(StatusCode::OK, list_markup(&staff, &list, &query)))
}

fn detail_markup(staff: &Staff, o: &OrderDetail) -> Markup {
    let money = |minor: i64| Money::new(minor, o.summary.currency);
    let title = format!("Order {}", o.summary.reference);
    layout(
        &title,
        Some(staff),
        html! {
            h1 { (title) }
            p { strong { (status_label(o.summary.status)) } " · placed " (o.summary.created_at.format("%Y-%m-%d %H:%M UTC")) }
            @if o.summary.status == OrderStatus::PendingPayment {
                p.small { "Unpaid by " (o.hold_until.format("%Y-%m-%d %H:%M UTC")) ", it is cancelled and its stock returned." }
            }
            section.card aria-labelledby="buyer" {
                h2 #buyer { "Buyer" }
                dl {
                    dt { "Name" } dd { (dash(&o.contact.name)) }
                    dt { "Email" } dd { @if o.contact.email.is_empty() { "—" } @else { a href={ "mailto:" (o.contact.email) } { (o.contact.email) } } }
                    dt { "Phone" } dd { @if o.contact.phone.is_empty() { "—" } @else { a href={ "tel:" (o.contact.phone) } { (o.contact.phone) } } }
                    dt { "Ship to" }
                    dd {
                        @if let Some(a) = &o.shipping {
                            (a.name) br; (a.line1) @if !a.line2.is_empty() { ", " (a.line2) } br;
                            (a.postal_code) " " (a.city) @if !a.region.is_empty() { ", " (a.region) } br; (a.country)
                        } @else { "No address (not asked)" }
                    }
                    dt { "Ordered from" } dd { (o.buyer_ip) }
                }
            }
            section.card aria-labelledby="lines" {
                h2 #lines { "Items" }
                table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "SKU" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } } }
                    tbody {
                        @for l in &o.lines {
                            tr { td { (l.product_title) @if l.variant_title != "Default" { " · " (l.variant_title) } } td { (l.sku) } td { (money(l.unit_price_minor)) } td { (l.quantity) } td { (money(l.line_total_minor)) } }
                        }
                    }
                    tfoot {
                        tr { th scope="row" colspan="4" { "Subtotal" } td { (money(o.subtotal_minor)) } }
                        tr { th scope="row" colspan="4" { "Shipping" @if let Some(r) = &o.shipping_rate_name { " (" (r) ")" } } td { (money(o.shipping_minor)) } }
                        tr { th scope="row" colspan="4" { @if o.tax_inclusive { "Including tax " } @else { "Tax " } "(" (platform_domain::percent_text(o.tax_rate_bp)) " %)" } td { (money(o.tax_minor)) } }
                        tr { th scope="row" colspan="4" { "Total" } td { strong { (money(o.summary.total_minor)) } } }
                    }
                }
            }
            section.card aria-labelledby="payment" {
                h2 #payment { "Payment" }
                @match &o.payment {
                    None => p { "Not started: the buyer has not gone to the payment page yet." }
                    Some(p) => {
                        dl {
                            dt { "Status" }
                            dd { @match p.status.as_str() { "captured" => "Paid", "expired" => "Expired unpaid", _ => "Waiting for the buyer" } }
                            @if let (Some(brand), Some(last4)) = (&p.card_brand, &p.card_last4) {
                                dt { "Card" }
                                dd { (brand) " ending in " (last4) @if let (Some(m), Some(y)) = (p.card_exp_month, p.card_exp_year) { ", expires " (format!("{m:02}/{y}")) } }
                            }
                            @if let Some(at) = p.captured_at { dt { "Paid at" } dd { (at.format("%Y-%m-%d %H:%M UTC")) } }
                            @if let Some(f) = &p.last_failure { @if p.status == "pending" { dt { "Last attempt" } dd { (f.replace('_', " ")) } } }
                            dt { "Refunded" } dd { (money(o.refunded_minor)) }
                        }
                        p.small { "The card number never reaches this platform: only the brand, the last four digits and the expiry are kept." }
                    }
                }
                @if refundable(o) {
                    form method="post" action={ "/orders/" (o.summary.id) "/refund" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        label for="amount" { "Refund amount (" (o.summary.currency) ", up to " (money(o.summary.total_minor - o.refunded_minor)) ")" }
                        input #amount name="amount" inputmode="decimal" required value=(money(o.summary.total_minor - o.refunded_minor).amount_text());
                        button type="submit" { "Refund through the payment processor" }
                    }
                }
            }
            section.card aria-labelledby="shipping" {
                h2 #shipping { "Shipping" }
                @if let Some(s) = &o.shipment {
                    dl {
                        dt { "Carrier" } dd { (s.carrier) }
                        dt { "Tracking number" } dd { @if let Some(u) = &s.tracking_url { a href=(u) rel="noreferrer" { (s.tracking_number) } } @else { (s.tracking_number) } }
                        dt { "Shipped" } dd { (s.shipped_at.format("%Y-%m-%d %H:%M UTC")) }
                        @if let Some(at) = s.delivered_at { dt { "Delivered" } dd { (at.format("%Y-%m-%d %H:%M UTC")) } }
                    }
                }
                @if o.summary.status == OrderStatus::Paid {
                    form method="post" action={ "/orders/" (o.summary.id) "/ship" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        p.small { "Leave both fields empty to book the parcel with the platform's carrier: it receives the delivery address and nothing else. Or type the carrier and tracking number of a parcel you sent yourself." }
                        label for="carrier" { "Carrier (optional)" }
                        input #carrier name="carrier" maxlength="60";
                        label for="tracking_number" { "Tracking number (optional)" }
                        input #tracking_number name="tracking_number" maxlength="60";
                        button type="submit" { "Mark shipped" }
                    }
                } @else if o.summary.status == OrderStatus::Shipped {
                    form method="post" action={ "/orders/" (o.summary.id) "/deliver" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        button type="submit" { "Mark delivered" }
                    }
                } @else if o.shipment.is_none() {
                    p { "Ships once paid." }
                }
            }
            @if o.summary.status == OrderStatus::PendingPayment {
                form.card method="post" action={ "/orders/" (o.summary.id) "/cancel" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    p { "The buyer has not paid. Cancelling returns the items to stock." }
                    button.danger type="submit" { "Cancel this order" }
                }
            }
            section.card aria-labelledby="history" {
                h2 #history { "History" }
                ol {
                    @for e in &o.events {
                        li { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) " · " (e.kind.replace('_', " ")) " · by " (e.actor) }
                    }
                }
            }
            p { a href="/orders" { "← All orders" } }
        },
    )
}

#[derive(serde::Deserialize)]
struct CancelForm {
    csrf: String,
}

crate::http::auth::csrf_forms!(CancelForm);

async fn cancel_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, CancelForm, crate::http::auth::Owner>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::cancel(&state, staff.tenant, id, staff.staff_id).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

/// Paid and not yet refunded in full.
fn refundable(o: &OrderDetail) -> bool {
    matches!(
        o.summary.status,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
    ) && o.refunded_minor < o.summary.total_minor
        && o.payment.as_ref().is_some_and(|p| p.status == "captured")
}

#[derive(serde::Deserialize)]
struct RefundForm {
    csrf: String,
    amount: String,
}

crate::http::auth::csrf_forms!(RefundForm);

async fn refund_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, form, _): CheckedForm<Staff, RefundForm, crate::http::auth::Owner>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::refund(&state, staff.tenant, id, &form.amount, staff.staff_id).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

#[derive(serde::Deserialize)]
struct ShipForm {
    csrf: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_number: String,
}

crate::http::auth::csrf_forms!(ShipForm);

async fn ship_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, form, _): CheckedForm<Staff, ShipForm, crate::http::auth::Owner>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::ship(
        &state,
        staff.tenant,
        id,
        &form.carrier,
        &form.tracking_number,
        staff.staff_id,
    )
    .await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

async fn deliver_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, CancelForm, crate::http::auth::Owner>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::deliver(&state, staff.tenant, id, staff.staff_id).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

fn dash(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}

async fn detail_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    let order = orders::detail(&state, staff.tenant, id).await?;
    Ok(page(StatusCode::OK, detail_markup(&staff, &order)))
}
