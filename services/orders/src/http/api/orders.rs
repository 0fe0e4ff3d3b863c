//! Orders: place (idempotent), list, detail, and the buyer's view by public code.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use platform_orders_api::{
    BuyerOrder, CancelOrder, ErrorCode, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, OrderDetail, OrderId,
    OrderList, OrderListQuery, OrderSummary, PlaceOrder, PlacedOrder,
};
use platform_web::{JsonBody, PathParams, QueryParams, json_shape_error};

use crate::app::idempotency::IdempotencyKey;
use crate::app::{Orders, Placement};
use crate::error::OrdersError;

/// Order routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route("/v1/shops/{tenant}/orders", get(list).post(place))
        .route("/v1/shops/{tenant}/orders/{order}", get(detail))
        .route(
            "/v1/shops/{tenant}/orders/{order}/cancel",
            axum::routing::post(cancel),
        )
        .route("/v1/shops/{tenant}/orders/by-code/{code}", get(by_code))
        .route("/v1/shops/{tenant}/orders/by-key/{key}", get(by_key))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn place(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Response, Response> {
    let tenant = super::tenant(&tenant).map_err(IntoResponse::into_response)?;
    let key = IdempotencyKey::parse(headers.get(IDEMPOTENCY_KEY).map(HeaderValue::as_bytes))
        .map_err(IntoResponse::into_response)?;
    let order: PlaceOrder =
        serde_json::from_value(body.clone()).map_err(|e| json_shape_error(&e).into_response())?;
    match orders.place(tenant, key, &body, order).await {
        Ok(Placement::Created(placed)) => Ok((StatusCode::CREATED, Json(placed)).into_response()),
        Ok(Placement::Replayed { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, Json(body)).into_response();
            response
                .headers_mut()
                .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
            Ok(response)
        }
        Err(e) => Err(e.into_response()),
    }
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn list(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    QueryParams(query): QueryParams<OrderListQuery>,
) -> Result<Json<OrderList>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.list(tenant, query).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn detail(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
) -> Result<Json<OrderDetail>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let order: OrderId = order
        .parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The order id is malformed."))?;
    Ok(Json(orders.detail(tenant, order).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn cancel(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<CancelOrder>,
) -> Result<Json<OrderSummary>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let order: OrderId = order
        .parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The order id is malformed."))?;
    Ok(Json(orders.cancel(tenant, order, body.staff_id).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn by_key(
    State(orders): State<Orders>,
    PathParams((tenant, key)): PathParams<(String, String)>,
) -> Result<Json<PlacedOrder>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let key = IdempotencyKey::parse(Some(key.as_bytes()))?;
    Ok(Json(orders.placed_by_key(tenant, key).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn by_code(
    State(orders): State<Orders>,
    PathParams((tenant, code)): PathParams<(String, String)>,
) -> Result<Json<BuyerOrder>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.by_code(tenant, &code).await?))
}
