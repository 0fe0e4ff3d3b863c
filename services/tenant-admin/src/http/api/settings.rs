//! Store settings.

use axum::Json;
use axum::extract::State;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::ErrorBody;
use platform_web::JsonBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::settings::{self, Settings, SettingsInput};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, write))
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", responses((status = 200, body = Settings), (status = 401, description = "No session", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(settings::get(&state, staff.tenant).await?))
}

#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = SettingsInput,
    responses((status = 200, body = Settings), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody),
        (status = 409, description = "A host name is taken, or products are priced in the current currency", body = ErrorBody)))]
async fn write(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<SettingsInput>,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(settings::save(&state, staff.tenant, input).await?))
}
