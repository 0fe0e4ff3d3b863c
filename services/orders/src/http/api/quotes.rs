//! `POST /v1/shops/{tenant}/quotes`: a prospective order priced now.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use platform_orders_api::{Quote, QuoteRequest};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Quote routes.
pub fn router() -> Router<Orders> {
    Router::new().route("/v1/shops/{tenant}/quotes", post(quote))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn quote(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(request): JsonBody<QuoteRequest>,
) -> Result<Json<Quote>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.quote(tenant, request).await?))
}
