//! Orders as JSON, each answer masked to the caller's roles (O8) and logged (O22): the
//! same use cases as the console's order pages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_domain::OrderId;
use platform_orders_api::OrderListQuery;
use platform_web::{ErrorBody, JsonBody, PathParams, QueryParams};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::order_view::{OrderListView, OrderView};
use crate::app::orders;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{Canceller, OrderViewer, Refunder, Shipper};

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(export))
        .routes(routes!(detail))
        .routes(routes!(refund))
        .routes(routes!(ship))
        .routes(routes!(deliver))
        .routes(routes!(cancel))
}

fn order_id(id: Uuid) -> OrderId {
    OrderId::from_uuid(id)
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(("status" = Option<String>, Query, description = "Only this status"), ("number" = Option<String>, Query, description = "Only this order number"), ("before" = Option<i64>, Query, description = "Orders numbered below this (paging)")),
    responses((status = 200, body = OrderListView), (status = 403, description = "A role without orders (catalog)", body = ErrorBody), (status = 422, description = "Unknown status, or a page position below 1 (`orders.query_invalid`)", body = ErrorBody), (status = 503, description = "Orders unavailable", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<OrderViewer, Staff>,
    QueryParams(query): QueryParams<OrderListQuery>,
) -> Result<Json<OrderListView>, ApiError> {
    Ok(Json(orders::list(&state, &staff, &query).await?))
}

#[utoipa::path(get, path = "/api/v1/orders/export", tag = "orders",
    params(("format" = Option<String>, Query, description = "`json` (default) or `csv`"), ("status" = Option<String>, Query, description = "Only this status")),
    responses((status = 200, description = "Up to 2000 newest orders as the caller's roles see them (masked values read \"••••\"); logged as one audit event"),
        (status = 403, description = "A role without orders, or re-authentication needed", body = ErrorBody), (status = 422, description = "Unknown status", body = ErrorBody), (status = 503, description = "Orders unavailable", body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<OrderViewer, Staff>,
    QueryParams(query): QueryParams<crate::http::pages::orders::ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    crate::http::pages::orders::download(&state, &staff, query).await
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = Uuid, Path, description = "Order")),
    responses((status = 200, description = "The order; fields the caller's roles may not see read \"••••\"", body = OrderView), (status = 403, description = "A role without orders (catalog)", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody)))]
async fn detail(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<OrderViewer, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(orders::detail(&state, &staff, order_id(id)).await?))
}

/// How much to refund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundInput {
    /// In the shop's currency, as typed: `"12.50"`.
    amount: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/refund", tag = "orders", request_body = RefundInput,
    params(("id" = Uuid, Path, description = "Order")),
    responses((status = 204, description = "Refunded through the payment processor"), (status = 403, description = "Only owners and billing clerks refund", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Not refundable", body = ErrorBody), (status = 422, description = "Invalid amount", body = ErrorBody), (status = 502, description = "The processor refused", body = ErrorBody), (status = 503, description = "The processor is away", body = ErrorBody)))]
async fn refund(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<Refunder, Staff>,
    PathParams(id): PathParams<Uuid>,
    JsonBody(input): JsonBody<RefundInput>,
) -> Result<StatusCode, ApiError> {
    orders::refund(&state, &staff, order_id(id), &input.amount).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How it was shipped: both empty books the platform's carrier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShipInput {
    /// The carrier, when shipped by other means.
    #[serde(default)]
    carrier: String,
    /// Its tracking number.
    #[serde(default)]
    tracking_number: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/ship", tag = "orders", request_body = ShipInput,
    params(("id" = Uuid, Path, description = "Order")),
    responses((status = 204, description = "Shipped"), (status = 403, description = "Only owners and fulfilment ship", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 422, description = "Tracking out of shape", body = ErrorBody), (status = 503, description = "The carrier is away", body = ErrorBody),
        (status = 409, description = "Not shippable", body = ErrorBody), (status = 502, description = "The carrier refused", body = ErrorBody)))]
async fn ship(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<Shipper, Staff>,
    PathParams(id): PathParams<Uuid>,
    JsonBody(input): JsonBody<ShipInput>,
) -> Result<StatusCode, ApiError> {
    orders::ship(
        &state,
        &staff,
        order_id(id),
        &input.carrier,
        &input.tracking_number,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/deliver", tag = "orders",
    params(("id" = Uuid, Path, description = "Order")),
    responses((status = 204, description = "Delivered"), (status = 403, description = "Only owners and fulfilment", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Not shipped", body = ErrorBody)))]
async fn deliver(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<Shipper, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    orders::deliver(&state, &staff, order_id(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders",
    params(("id" = Uuid, Path, description = "Order")),
    responses((status = 204, description = "Cancelled, stock returned"), (status = 403, description = "Owners, billing and customer service cancel", body = ErrorBody), (status = 404, description = "No such order", body = ErrorBody), (status = 409, description = "Not cancellable", body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<Canceller, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    orders::cancel(&state, &staff, order_id(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
