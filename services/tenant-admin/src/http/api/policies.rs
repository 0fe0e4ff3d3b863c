//! The versioned privacy policy.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::ErrorBody;
use platform_web::JsonBody;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::policies::{self, Published};
use crate::app::staff::Staff;
use crate::db::policies::PolicyVersion;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(save_draft))
        .routes(routes!(publish))
}

#[utoipa::path(get, path = "/api/v1/privacy-policies", tag = "privacy", responses((status = 200, body = Vec<PolicyVersion>), (status = 401, description = "No session", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Vec<PolicyVersion>>, ApiError> {
    Ok(Json(policies::versions(&state, staff.tenant).await?))
}

/// The draft's text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DraftInput {
    body: String,
}

#[utoipa::path(put, path = "/api/v1/privacy-policies/draft", tag = "privacy", request_body = DraftInput,
    responses((status = 200, body = PolicyVersion), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
async fn save_draft(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<DraftInput>,
) -> Result<Json<PolicyVersion>, ApiError> {
    Ok(Json(
        policies::save_draft(&state, staff.tenant, &input.body).await?,
    ))
}

/// Publication: when the version takes effect (default now). A future date announces a
/// change before it applies (O20).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PublishInput {
    effective_at: Option<DateTime<Utc>>,
    /// A material change (O20): announced to every buyer, at least 14 days (the shop's
    /// notice days) before it takes effect.
    #[serde(default)]
    material: bool,
}

#[utoipa::path(post, path = "/api/v1/privacy-policies/draft/publish", tag = "privacy", request_body = PublishInput,
    responses((status = 200, body = Published), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody),
        (status = 409, description = "No draft", body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<PublishInput>,
) -> Result<Json<Published>, ApiError> {
    Ok(Json(
        policies::publish(&state, staff.tenant, input.effective_at, input.material).await?,
    ))
}
