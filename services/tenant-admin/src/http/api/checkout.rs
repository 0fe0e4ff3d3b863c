//! Checkout settings: numbering, hold, shipping rates, tax rates.

use axum::Json;
use axum::extract::State;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::ErrorBody;
use platform_web::JsonBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::checkout::{self, CheckoutInput, CheckoutSettings};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, write))
}

#[utoipa::path(get, path = "/api/v1/checkout", tag = "checkout", responses((status = 200, body = CheckoutSettings), (status = 401, description = "No session", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<CheckoutSettings>, ApiError> {
    Ok(Json(checkout::get(&state, staff.tenant).await?))
}

#[utoipa::path(put, path = "/api/v1/checkout", tag = "checkout", request_body = CheckoutInput,
    responses((status = 200, body = CheckoutSettings), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input, or the numbering would go back", body = ErrorBody)))]
async fn write(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<CheckoutInput>,
) -> Result<Json<CheckoutSettings>, ApiError> {
    Ok(Json(checkout::save(&state, staff.tenant, input).await?))
}
