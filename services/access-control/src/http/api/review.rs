//! The platform-wide access review (O10), for security officers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_domain::PlatformRole;
use platform_web::{ErrorBody, PathParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::app::review::{self, MemberReview};
use crate::error::ApiError;
use crate::http::auth::SecurityOfficer;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(confirm))
}

/// `GET /api/v1/review`: every member, their roles with when each must be re-confirmed
/// and used by, and the grants they asked for and used.
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    responses((status = 200, body = Vec<MemberReview>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Security officers only", body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
) -> Result<Json<Vec<MemberReview>>, ApiError> {
    Ok(Json(review::report(&state, &op).await?))
}

/// `POST /api/v1/staff/{id}/roles/{role}/confirm`: re-confirms another member's role for
/// 90 more days.
#[utoipa::path(post, path = "/api/v1/staff/{id}/roles/{role}/confirm", tag = "review",
    params(("id" = Uuid, Path, description = "The member"), ("role" = PlatformRole, Path, description = "The role")),
    responses((status = 204, description = "Confirmed"), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Security officers only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such member or role", body = ErrorBody),
        (status = 409, description = "Your own role", body = ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
    PathParams((id, role)): PathParams<(Uuid, PlatformRole)>,
) -> Result<StatusCode, ApiError> {
    review::confirm(&state, &op, id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}
