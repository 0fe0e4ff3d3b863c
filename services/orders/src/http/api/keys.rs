//! The shop's signing keys for the processor (O12): list, rotate, revoke (the console).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use platform_orders_api::{KeyAction, SigningKeys};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Key routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route("/v1/shops/{tenant}/signing-keys", get(list))
        .route("/v1/shops/{tenant}/signing-keys/rotate", post(rotate))
        .route("/v1/shops/{tenant}/signing-keys/{key}/revoke", post(revoke))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn list(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
) -> Result<Json<SigningKeys>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.signing_keys(tenant).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn rotate(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<KeyAction>,
) -> Result<Json<SigningKeys>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.rotate_key(tenant, body.staff_id).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn revoke(
    State(orders): State<Orders>,
    PathParams((tenant, key)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<KeyAction>,
) -> Result<Json<SigningKeys>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.revoke_key(tenant, &key, body.staff_id).await?))
}
