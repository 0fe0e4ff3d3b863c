//! Break-glass: emergency access, approved by a second security officer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_web::{ErrorBody, JsonBody, PathParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::break_glass::{self, BreakGlassInput, NoteInput};
use crate::app::grants::GrantView;
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::{Requester, SecurityOfficer};

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue, request))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(note))
}

/// `GET /api/v1/break-glass`: requests waiting for a second security officer, and
/// approved ones whose post-incident note is missing.
#[utoipa::path(get, path = "/api/v1/break-glass", tag = "break-glass",
    responses((status = 200, body = Vec<GrantView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Security officers only", body = ErrorBody)))]
async fn queue(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(break_glass::queue(&state, &op).await?))
}

/// `POST /api/v1/break-glass`: asks for emergency access (reason of 40 characters or
/// more, an incident id, at most an hour).
#[utoipa::path(post, path = "/api/v1/break-glass", tag = "break-glass", request_body = BreakGlassInput,
    responses((status = 201, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "A role that asks for no grants, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such shop", body = ErrorBody),
        (status = 409, description = "A pending or active grant with this shop exists", body = ErrorBody),
        (status = 422, description = "Reason too short, incident, classes or duration invalid", body = ErrorBody)))]
async fn request(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    JsonBody(input): JsonBody<BreakGlassInput>,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(break_glass::request(&state, &op, &input).await?),
    ))
}

/// `POST /api/v1/break-glass/{shop}/{id}/approve`: by a security officer other than the
/// requester; the owners are told at once.
#[utoipa::path(post, path = "/api/v1/break-glass/{shop}/{id}/approve", tag = "break-glass",
    params(("shop" = Uuid, Path, description = "The shop's id"), ("id" = Uuid, Path, description = "The request")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Security officers only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Your own request, or no longer waiting", body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(break_glass::approve(&state, &op, shop, id).await?))
}

/// `POST /api/v1/break-glass/{shop}/{id}/deny`.
#[utoipa::path(post, path = "/api/v1/break-glass/{shop}/{id}/deny", tag = "break-glass",
    params(("shop" = Uuid, Path, description = "The shop's id"), ("id" = Uuid, Path, description = "The request")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Security officers only, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Your own request, or no longer waiting", body = ErrorBody)))]
async fn deny(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(break_glass::deny(&state, &op, shop, id).await?))
}

/// `POST /api/v1/break-glass/{shop}/{id}/note`: the requester's post-incident note, due
/// within 72 hours of approval.
#[utoipa::path(post, path = "/api/v1/break-glass/{shop}/{id}/note", tag = "break-glass", request_body = NoteInput,
    params(("shop" = Uuid, Path, description = "The shop's id"), ("id" = Uuid, Path, description = "The break-glass grant")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "A role that asks for no grants, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such break-glass of the caller", body = ErrorBody),
        (status = 409, description = "Written already, or never approved", body = ErrorBody),
        (status = 422, description = "Note too short", body = ErrorBody)))]
async fn note(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
    JsonBody(input): JsonBody<NoteInput>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(
        break_glass::note(&state, &op, shop, id, &input).await?,
    ))
}
