//! Orders in the console: the list (filter by status, search by number, older pages) and
//! one order with the buyer's details and its history.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{MASK, Money, OrderId, OrderStatus, Permission, Shown};
use platform_orders_api::OrderListQuery;
use platform_web::{PathParams, QueryParams};

use super::layout::{layout, page};
use crate::app::AppState;
use crate::app::order_view::{OrderListView, OrderView};
use crate::app::orders;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::OrderViewer;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_page))
        .route("/orders/export", get(export))
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

fn list_markup(staff: &Staff, list: &OrderListView, query: &OrderListQuery) -> Markup {
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
            p.small {
                "Export (as your role sees them, up to " (orders::EXPORT_LIMIT) " newest): "
                a href={ "/orders/export?format=csv" @if let Some(s) = query.status { "&status=" (s.as_str()) } } { "CSV" }
                " · "
                a href={ "/orders/export?format=json" @if let Some(s) = query.status { "&status=" (s.as_str()) } } { "JSON" }
            }
            @if list.orders.is_empty() {
                p { "No orders yet." }
            } @else {
                table tabindex="0" {
                    thead { tr { th scope="col" { "Order" } th scope="col" { "Placed" } th scope="col" { "Status" } th scope="col" { "Items" } th scope="col" { "Total" } } }
                    tbody {
                        @for o in &list.orders {
                            tr {
                                td { a href={ "/orders/" (o.id) } { (o.reference) } }
                                td { (o.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                td { (status_label(o.status)) }
                                td { (o.item_count) }
                                td { (shown(&o.total_minor, |t| Money::new(*t, o.currency).to_string())) }
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
    PageRole(staff, _): PageRole<OrderViewer, Staff>,
    QueryParams(mut query): QueryParams<OrderListQuery>,
) -> Result<Response, ApiError> {
    // An empty select or search box means "any".
    query.number = query.number.filter(|n| !n.trim().is_empty());
    let list = orders::list(&state, &staff, &query).await?;
    Ok(page(StatusCode::OK, list_markup(&staff, &list, &query)))
}

/// A masked value as the page shows it: the mask, and why, for people and screen readers.
fn masked() -> Markup {
    html! { span.masked title="Hidden for your role" { (MASK) } }
}

fn shown<T>(value: &Shown<T>, render: impl FnOnce(&T) -> String) -> Markup {
    match value {
        Shown::Clear(v) => html! { (render(v)) },
        Shown::Masked => masked(),
    }
}

fn detail_markup(staff: &Staff, o: &OrderView) -> Markup {
    let money = |minor: i64| Money::new(minor, o.currency);
    let title = format!("Order {}", o.reference);
    let may = |p: Permission| staff.roles.may(p);
    layout(
        &title,
        Some(staff),
        html! {
            h1 { (title) }
            p { strong { (status_label(o.status)) } " · placed " (o.created_at.format("%Y-%m-%d %H:%M UTC")) }
            @if o.status == OrderStatus::PendingPayment {
                p.small { "Unpaid by " (o.hold_until.format("%Y-%m-%d %H:%M UTC")) ", it is cancelled and its stock returned." }
            }
            section.card aria-labelledby="buyer" {
                h2 #buyer { "Buyer" }
                @if let Some(at) = o.erased_at {
                    p.notice role="note" { "The buyer's details were erased at their request on " (at.format("%Y-%m-%d")) ". The order is kept without them for the accounts." }
                }
                dl {
                    dt { "Name" } dd { (shown(&o.contact.name, |n| dash(n).to_owned())) }
                    dt { "Email" } dd {
                        @match &o.contact.email {
                            Shown::Masked => (masked()),
                            Shown::Clear(e) if e.is_empty() => "—",
                            Shown::Clear(e) => a href={ "mailto:" (e) } { (e) },
                        }
                    }
                    dt { "Phone" } dd {
                        @match &o.contact.phone {
                            Shown::Masked => (masked()),
                            Shown::Clear(p) if p.is_empty() => "—",
                            Shown::Clear(p) => a href={ "tel:" (p) } { (p) },
                        }
                    }
                    dt { "Ship to" }
                    dd {
                        @match &o.shipping {
                            Shown::Masked => (masked()),
                            Shown::Clear(None) => "No address (not asked)",
                            Shown::Clear(Some(a)) => {
                                (a.name) br; (a.line1) @if !a.line2.is_empty() { ", " (a.line2) } br;
                                (a.postal_code) " " (a.city) @if !a.region.is_empty() { ", " (a.region) } br; (a.country)
                            }
                        }
                    }
                    dt { "Ordered from" } dd { (shown(&o.buyer_ip, |ip| ip.map_or_else(|| "—".to_owned(), |ip| ip.to_string()))) }
                }
            }
            section.card aria-labelledby="lines" {
                h2 #lines { "Items" }
                table tabindex="0" {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "SKU" } th scope="col" { "Price" } th scope="col" { "Quantity" } th scope="col" { "Total" } } }
                    tbody {
                        @for l in &o.lines {
                            tr { td { (l.product_title) @if l.variant_title != "Default" { " · " (l.variant_title) } } td { (l.sku) } td { (money(l.unit_price_minor)) } td { (l.quantity) } td { (money(l.line_total_minor)) } }
                        }
                    }
                    @if let Shown::Clear(t) = &o.totals {
                        tfoot {
                            tr { th scope="row" colspan="4" { "Subtotal" } td { (money(t.subtotal_minor)) } }
                            tr { th scope="row" colspan="4" { "Shipping" @if let Some(r) = &t.shipping_rate_name { " (" (r) ")" } } td { (money(t.shipping_minor)) } }
                            tr { th scope="row" colspan="4" { @if t.tax_inclusive { "Including tax " } @else { "Tax " } "(" (platform_domain::percent_text(t.tax_rate_bp)) " %)" } td { (money(t.tax_minor)) } }
                            tr { th scope="row" colspan="4" { "Total" } td { strong { (money(t.total_minor)) } } }
                        }
                    }
                }
            }
            section.card aria-labelledby="payment" {
                h2 #payment { "Payment" }
                @match &o.payment {
                    Shown::Masked => p { (masked()) " The payment details are hidden for your role." }
                    Shown::Clear(None) => p { "Not started: the buyer has not gone to the payment page yet." }
                    Shown::Clear(Some(p)) => {
                        dl {
                            dt { "Status" }
                            dd { @match p.status.as_str() { "captured" => "Paid", "expired" => "Expired unpaid", _ => "Waiting for the buyer" } }
                            @if let (Some(brand), Some(last4)) = (&p.card_brand, &p.card_last4) {
                                dt { "Card" }
                                dd { (brand) " ending in " (last4) @if let (Some(m), Some(y)) = (p.card_exp_month, p.card_exp_year) { ", expires " (format!("{m:02}/{y}")) } }
                            }
                            @if let Some(at) = p.captured_at { dt { "Paid at" } dd { (at.format("%Y-%m-%d %H:%M UTC")) } }
                            @if let Some(f) = &p.last_failure { @if p.status == "pending" { dt { "Last attempt" } dd { (f.replace('_', " ")) } } }
                            @if let Shown::Clear(t) = &o.totals { dt { "Refunded" } dd { (money(t.refunded_minor)) } }
                        }
                        p.small { "The card number never reaches this platform: only the brand, the last four digits and the expiry are kept." }
                    }
                }
                @if may(Permission::Refund) && o.refundable() {
                    @if let Shown::Clear(t) = &o.totals {
                        form method="post" action={ "/orders/" (o.id) "/refund" } {
                            input type="hidden" name="csrf" value=(staff.csrf);
                            label for="amount" { "Refund amount (" (o.currency) ", up to " (money(t.total_minor - t.refunded_minor)) ")" }
                            input #amount name="amount" inputmode="decimal" required value=(money(t.total_minor - t.refunded_minor).amount_text());
                            button type="submit" { "Refund through the payment processor" }
                        }
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
                @if o.status == OrderStatus::Paid && may(Permission::Ship) {
                    form method="post" action={ "/orders/" (o.id) "/ship" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        p.small { "Leave both fields empty to book the parcel with the platform's carrier: it receives the delivery address and nothing else. Or type the carrier and tracking number of a parcel you sent yourself." }
                        label for="carrier" { "Carrier (optional)" }
                        input #carrier name="carrier" maxlength="60";
                        label for="tracking_number" { "Tracking number (optional)" }
                        input #tracking_number name="tracking_number" maxlength="60";
                        button type="submit" { "Mark shipped" }
                    }
                } @else if o.status == OrderStatus::Shipped && may(Permission::Ship) {
                    form method="post" action={ "/orders/" (o.id) "/deliver" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        button type="submit" { "Mark delivered" }
                    }
                } @else if o.shipment.is_none() && o.status == OrderStatus::PendingPayment {
                    p { "Ships once paid." }
                }
            }
            @if o.status == OrderStatus::PendingPayment && may(Permission::CancelOrder) {
                form.card method="post" action={ "/orders/" (o.id) "/cancel" } {
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
    CheckedForm(staff, _form, _): CheckedForm<Staff, CancelForm, crate::http::auth::Canceller>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::cancel(&state, &staff, id).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
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
    CheckedForm(staff, form, _): CheckedForm<Staff, RefundForm, crate::http::auth::Refunder>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::refund(&state, &staff, id, &form.amount).await?;
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
    CheckedForm(staff, form, _): CheckedForm<Staff, ShipForm, crate::http::auth::Shipper>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::ship(&state, &staff, id, &form.carrier, &form.tracking_number).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

async fn deliver_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, CancelForm, crate::http::auth::Shipper>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    orders::deliver(&state, &staff, id).await?;
    Ok(axum::response::Redirect::to(&format!("/orders/{id}")).into_response())
}

fn dash(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}

async fn detail_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<OrderViewer, Staff>,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id: OrderId = id.parse().map_err(|_| ApiError::NotFound)?;
    let order = orders::detail(&state, &staff, id).await?;
    Ok(page(StatusCode::OK, detail_markup(&staff, &order)))
}

/// Which orders to export, and how.
#[derive(serde::Deserialize)]
pub(crate) struct ExportQuery {
    /// `csv` or `json` (default).
    format: Option<String>,
    /// Only this status.
    status: Option<OrderStatus>,
}

async fn export(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<OrderViewer, Staff>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let back = format!(
        "/orders/export?format={}{}",
        q.format.as_deref().unwrap_or("json"),
        q.status
            .map(|s| format!("&status={}", s.as_str()))
            .unwrap_or_default()
    );
    let result = download(&state, &staff, q).await;
    super::account::or_reauth(result, &back)
}

/// The export as a file (shared with the API).
pub(crate) async fn download(
    state: &AppState,
    staff: &Staff,
    q: ExportQuery,
) -> Result<Response, ApiError> {
    let views = orders::export(state, staff, q.status).await?;
    Ok(if q.format.as_deref() == Some("csv") {
        super::layout::attachment(
            orders::export_csv(&views)?,
            "text/csv; charset=utf-8",
            "orders.csv",
        )
    } else {
        super::layout::attachment(
            super::audit::json_bytes(&views)?,
            "application/json",
            "orders.json",
        )
    })
}
