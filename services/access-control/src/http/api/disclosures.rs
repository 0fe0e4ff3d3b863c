//! The disclosure log (O24), kept by security officers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_web::{ErrorBody, JsonBody};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::disclosures::{self, DisclosureInput, DisclosureView};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::SecurityOfficer;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, record))
}

/// `GET /api/v1/disclosures`: every recorded disclosure, newest first.
#[utoipa::path(get, path = "/api/v1/disclosures", tag = "disclosures",
    responses((status = 200, body = Vec<DisclosureView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Security officers only", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
) -> Result<Json<Vec<DisclosureView>>, ApiError> {
    Ok(Json(disclosures::all(&state, &op).await?))
}

/// `POST /api/v1/disclosures`: records a legally forced disclosure; the shop's owners are
/// told at once, or when the non-disclosure order ends.
#[utoipa::path(post, path = "/api/v1/disclosures", tag = "disclosures", request_body = DisclosureInput,
    responses((status = 201, body = DisclosureView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Security officers only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such shop", body = ErrorBody),
        (status = 422, description = "Missing authority, instrument, jurisdiction, subjects or classes; a gag without reference or end", body = ErrorBody)))]
async fn record(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
    JsonBody(input): JsonBody<DisclosureInput>,
) -> Result<(StatusCode, Json<DisclosureView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(disclosures::record(&state, &op, &input).await?),
    ))
}
