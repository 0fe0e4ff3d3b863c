//! Guardians' consents for children's orders (O19): the storefront asks a guardian, the
//! child's page reads where the consent stands, and the guardian's page decides.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use platform_orders_api::{AskGuardian, GuardianDecision, GuardianHandle, GuardianState};
use platform_web::{JsonBody, PathParams};

use crate::app::Orders;
use crate::error::OrdersError;

/// Consent routes.
pub fn router() -> Router<Orders> {
    Router::new()
        .route("/v1/shops/{tenant}/guardian-consents", post(ask))
        .route("/v1/shops/{tenant}/guardian-consents/state", post(state))
        .route(
            "/v1/shops/{tenant}/guardian-consents/decisions",
            post(decide),
        )
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn ask(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<AskGuardian>,
) -> Result<(StatusCode, Json<GuardianHandle>), OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok((
        StatusCode::CREATED,
        Json(orders.ask_guardian(tenant, body).await?),
    ))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn state(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<GuardianHandle>,
) -> Result<Json<GuardianState>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.guardian_state(tenant, &body.handle).await?))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn decide(
    State(orders): State<Orders>,
    PathParams(tenant): PathParams<String>,
    JsonBody(body): JsonBody<GuardianDecision>,
) -> Result<Json<GuardianState>, OrdersError> {
    let tenant = super::tenant(&tenant)?;
    Ok(Json(orders.decide_guardian(tenant, body).await?))
}
