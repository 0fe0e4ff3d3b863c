//! Platform access as JSON (owners).

use axum::Json;
use axum::extract::State;
use platform_auth::extract::RequireRole;
use platform_web::{ErrorBody, PathParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::access::{self, DisclosureView, GrantView};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::StaffAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(end))
        .routes(routes!(disclosures))
}

/// `GET /api/v1/disclosures`: what the platform was legally forced to disclose of this
/// shop's data (one under a non-disclosure order appears when the order ends).
#[utoipa::path(get, path = "/api/v1/disclosures", tag = "access",
    responses((status = 200, body = Vec<DisclosureView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Owners only", body = ErrorBody)))]
async fn disclosures(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
) -> Result<Json<Vec<DisclosureView>>, ApiError> {
    Ok(Json(access::disclosures(&state, &staff).await?))
}

/// `GET /api/v1/access-grants`: what the platform's staff asked of this shop, newest first.
#[utoipa::path(get, path = "/api/v1/access-grants", tag = "access",
    responses((status = 200, body = Vec<GrantView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Owners only", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(access::list(&state, &staff).await?))
}

/// `POST /api/v1/access-grants/{id}/approve`: opens the request's classes from now for its
/// length (needs a fresh re-authentication).
#[utoipa::path(post, path = "/api/v1/access-grants/{id}/approve", tag = "access",
    params(("id" = Uuid, Path, description = "The request")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Owners only, re-authentication needed, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody), (status = 409, description = "No longer waiting", body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(access::approve(&state, &staff, id).await?))
}

/// `POST /api/v1/access-grants/{id}/deny`.
#[utoipa::path(post, path = "/api/v1/access-grants/{id}/deny", tag = "access",
    params(("id" = Uuid, Path, description = "The request")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Owners only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody), (status = 409, description = "No longer waiting", body = ErrorBody)))]
async fn deny(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(access::deny(&state, &staff, id).await?))
}

/// `POST /api/v1/access-grants/{id}/end`: closes an active grant now.
#[utoipa::path(post, path = "/api/v1/access-grants/{id}/end", tag = "access",
    params(("id" = Uuid, Path, description = "The grant")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Owners only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such grant", body = ErrorBody), (status = 409, description = "Not active", body = ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(access::end(&state, &staff, id).await?))
}
