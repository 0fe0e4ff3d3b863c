//! Payments: start one (the storefront sends the buyer to the processor's page), confirm
//! it when the buyer returns, and refund (the console).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use platform_orders_api::{
    BuyerOrder, CancelOrder, ErrorCode, OrderId, OrderSummary, PaymentStart, RefundOrder,
    ShipOrder, StartPayment,
};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Payment routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route(
            "/v1/shops/{tenant}/orders/by-code/{code}/payment",
            post(start),
        )
        .route(
            "/v1/shops/{tenant}/orders/by-code/{code}/payment/confirm",
            post(confirm),
        )
        .route("/v1/shops/{tenant}/orders/{order}/refunds", post(refund))
        .route("/v1/shops/{tenant}/orders/{order}/ship", post(ship))
        .route("/v1/shops/{tenant}/orders/{order}/deliver", post(deliver))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn start(
    State(orders): State<Orders>,
    PathParams((tenant, code)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<StartPayment>,
) -> Result<Json<PaymentStart>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(
        orders
            .start_payment(tenant, &code, &body.return_url)
            .await?,
    ))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn confirm(
    State(orders): State<Orders>,
    PathParams((tenant, code)): PathParams<(String, String)>,
) -> Result<Json<BuyerOrder>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.confirm_payment(tenant, &code).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn refund(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<RefundOrder>,
) -> Result<Json<OrderSummary>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    let order: OrderId = order
        .parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The order id is malformed."))?;
    Ok(Json(orders.refund(tenant, order, body).await?))
}

fn order_id(text: &str) -> Result<OrderId, OrdersError> {
    text.parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The order id is malformed."))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn ship(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<ShipOrder>,
) -> Result<Json<OrderSummary>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.ship(tenant, order_id(&order)?, body).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn deliver(
    State(orders): State<Orders>,
    PathParams((tenant, order)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<CancelOrder>,
) -> Result<Json<OrderSummary>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(
        orders
            .deliver(tenant, order_id(&order)?, body.staff_id)
            .await?,
    ))
}
