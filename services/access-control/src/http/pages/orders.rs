//! A shop's orders under the operator's grant: masked values read "••••".

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::PageRole;
use platform_domain::Shown;
use platform_web::{PathParams, QueryParams};
use uuid::Uuid;

use super::layout::{layout, page, when};
use crate::app::AppState;
use crate::app::operator::Operator;
use crate::app::orders::{self, SeenOrder};
use crate::error::ApiError;
use crate::http::api::Paging;
use crate::http::auth::Requester;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shops/{shop}/orders", get(list))
        .route("/shops/{shop}/orders/{id}", get(detail))
}

fn masked() -> Markup {
    html! { span.masked title="Not in your grant" { (platform_domain::MASK) } }
}

fn shown<T>(value: &Shown<Option<T>>, render: impl Fn(&T) -> Markup) -> Markup {
    match value {
        Shown::Masked => masked(),
        Shown::Clear(None) => html! { "—" },
        Shown::Clear(Some(v)) => render(v),
    }
}

fn money(minor: Option<i64>, currency: &str) -> String {
    match minor {
        Some(m) => format!("{}.{:02} {currency}", m / 100, (m % 100).abs()),
        None => "—".to_owned(),
    }
}

async fn list(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<Requester, Operator>,
    PathParams(shop): PathParams<Uuid>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Response, ApiError> {
    let seen = orders::list(&state, &op, shop, paging.before).await?;
    Ok(page(
        StatusCode::OK,
        layout(
            "Orders",
            Some(&op),
            html! {
                h1 { "Orders" }
                p.banner {
                    "Under grant " code { (seen.grant_id) } " for " strong { (seen.classes.join(", ")) }
                    @if let Some(end) = seen.ends_at { ", until " (when(end)) }
                    ". Everything else reads " (platform_domain::MASK) ", and this page is in the shop's audit log."
                }
                table {
                    thead { tr { th { "Order" } th { "Placed" } th { "Status" } th { "Contact" } th { "Ships to" } th { "Total" } } }
                    tbody {
                        @for o in &seen.orders {
                            tr {
                                td { a href={ "/shops/" (shop) "/orders/" (o.id) } { (o.reference) } }
                                td { (when(o.created_at)) }
                                td { (o.status) }
                                td { (shown(&o.contact, |c| html! { (c.name) br; (c.email) })) }
                                td { (shown(&o.shipping, |a| html! { (a.name) ", " (a.city) " " (a.country) })) }
                                td {
                                    @match &o.billing {
                                        Shown::Masked => (masked()),
                                        Shown::Clear(b) => (money(b.total_minor, &o.currency)),
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(before) = seen.next_before {
                    p { a href={ "/shops/" (shop) "/orders?before=" (before) } { "Older orders" } }
                }
            },
        ),
    ))
}

fn detail_markup(op: &Operator, shop: Uuid, o: &SeenOrder) -> Markup {
    layout(
        &o.reference,
        Some(op),
        html! {
            p { a href={ "/shops/" (shop) "/orders" } { "← Orders" } }
            h1 { "Order " (o.reference) }
            p { (o.status) " · placed " (when(o.created_at)) }
            h2 { "Contact" }
            p { (shown(&o.contact, |c| html! { (c.name) br; (c.email) br; (c.phone) })) }
            h2 { "Shipping address" }
            p { (shown(&o.shipping, |a| html! { (a.name) br; (a.line1) br; @if !a.line2.is_empty() { (a.line2) br; } (a.postal_code) " " (a.city) br; @if !a.region.is_empty() { (a.region) br; } (a.country) })) }
            @if let Some(rate) = &o.shipping_rate { p { "Shipping: " (rate) } }
            @if let Some(t) = &o.tracking { p { "Tracking: " (t) } }
            h2 { "Network" }
            p { (shown(&o.buyer_ip, |ip| html! { (ip) })) }
            h2 { "Billing" }
            @match &o.billing {
                Shown::Masked => p { (masked()) },
                Shown::Clear(b) => dl {
                    dt { "Total" } dd { (money(b.total_minor, &o.currency)) }
                    dt { "Refunded" } dd { (money(b.refunded_minor, &o.currency)) }
                    dt { "Card" } dd { (b.card.clone().unwrap_or_else(|| "—".to_owned())) }
                },
            }
            h2 { "Items" }
            table {
                thead { tr { th { "Item" } th { "Quantity" } } }
                tbody { @for l in &o.lines { tr { td { (l.title) } td { (l.quantity) } } } }
            }
        },
    )
}

async fn detail(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<Requester, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let order = orders::detail(&state, &op, shop, id).await?;
    Ok(page(StatusCode::OK, detail_markup(&op, shop, &order)))
}
