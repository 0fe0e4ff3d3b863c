//! The shop's look: accent colour and home banner.

use axum::Json;
use axum::extract::State;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::ErrorBody;
use platform_web::JsonBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::look::{self, Look, LookInput};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, write))
}

#[utoipa::path(get, path = "/api/v1/look", tag = "settings", responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Look>, ApiError> {
    Ok(Json(look::get(&state, staff.tenant).await?))
}

#[utoipa::path(put, path = "/api/v1/look", tag = "settings", request_body = LookInput,
    responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input: a colour that is not #rrggbb or too light for white text, a text too long", body = ErrorBody)))]
async fn write(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<LookInput>,
) -> Result<Json<Look>, ApiError> {
    look::save(&state, &staff, &input).await?;
    Ok(Json(look::get(&state, staff.tenant).await?))
}
