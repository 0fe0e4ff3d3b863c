//! Asking shops for grants, and ending them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_web::{ErrorBody, JsonBody, PathParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::grants::{self, GrantView, RequestInput};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::Requester;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mine, request))
        .routes(routes!(end))
}

/// `GET /api/v1/grants`: the caller's grants across shops, newest first.
#[utoipa::path(get, path = "/api/v1/grants", tag = "grants",
    responses((status = 200, body = Vec<GrantView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "A role that asks for no grants (SRE)", body = ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(grants::mine(&state, &op).await?))
}

/// `POST /api/v1/grants`: asks a shop's owners for access; they are mailed.
#[utoipa::path(post, path = "/api/v1/grants", tag = "grants", request_body = RequestInput,
    responses((status = 201, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "A role that asks for no grants, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such shop", body = ErrorBody),
        (status = 409, description = "A pending or active grant with this shop exists", body = ErrorBody),
        (status = 422, description = "Invalid purpose, ticket, reason, classes or duration", body = ErrorBody)))]
async fn request(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    JsonBody(input): JsonBody<RequestInput>,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(grants::request(&state, &op, &input).await?),
    ))
}

/// `POST /api/v1/grants/{shop}/{id}/end`: withdraws a pending request or ends an active
/// grant, at once for every session.
#[utoipa::path(post, path = "/api/v1/grants/{shop}/{id}/end", tag = "grants",
    params(("shop" = Uuid, Path, description = "The shop's id"), ("id" = Uuid, Path, description = "The grant")),
    responses((status = 200, body = GrantView), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "A role that asks for no grants, or CSRF token missing", body = ErrorBody),
        (status = 404, description = "No such grant of the caller", body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody)))]
async fn end(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<Requester, Operator>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
) -> Result<Json<GrantView>, ApiError> {
    Ok(Json(grants::close(&state, &op, shop, id).await?))
}
