//! Aggregate figures for SRE.

use axum::Json;
use axum::extract::State;
use platform_auth::extract::RequireRole;
use platform_web::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::metrics::{self, Metrics};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::Operations;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_metrics))
}

/// `GET /api/v1/metrics`: counts across shops, no personal data.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "operations",
    responses((status = 200, body = Metrics), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "SRE and security officers only", body = ErrorBody)))]
async fn get_metrics(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Operations, Operator>,
) -> Result<Json<Metrics>, ApiError> {
    Ok(Json(metrics::now(&state, &op).await?))
}
