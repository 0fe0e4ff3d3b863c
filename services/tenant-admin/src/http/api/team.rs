//! Staff as JSON: the team, invitations, roles, removal and the access review (owners).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::RequireRole;
use platform_domain::{StaffId, StaffRole};
use platform_web::{ErrorBody, JsonBody, PathParams};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::review::{self, Review};
use crate::app::staff::Staff;
use crate::app::team::{self, Invitation, InviteInput, Team};
use crate::error::ApiError;
use crate::http::auth::StaffAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(invite))
        .routes(routes!(withdraw))
        .routes(routes!(set_roles))
        .routes(routes!(remove))
        .routes(routes!(access_review))
}

/// The roles a member is to hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RolesInput {
    /// One or more roles.
    #[schema(value_type = Vec<String>)]
    roles: Vec<StaffRole>,
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, body = Team), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not an owner", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
) -> Result<Json<Team>, ApiError> {
    Ok(Json(team::team(&state, &staff).await?))
}

#[utoipa::path(post, path = "/api/v1/staff/invitations", tag = "staff", request_body = InviteInput,
    responses((status = 201, body = Invitation), (status = 403, description = "Not an owner, or a role the caller does not hold", body = ErrorBody),
        (status = 409, description = "Already a member, or already invited", body = ErrorBody), (status = 422, description = "Invalid email or no role", body = ErrorBody)))]
async fn invite(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    JsonBody(input): JsonBody<InviteInput>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(team::invite(&state, &staff, input).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/staff/invitations/{id}", tag = "staff",
    params(("id" = Uuid, Path, description = "Invitation")),
    responses((status = 204, description = "Withdrawn"), (status = 403, description = "Not an owner", body = ErrorBody), (status = 404, description = "No open invitation", body = ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    team::revoke_invitation(&state, &staff, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/staff/{id}/roles", tag = "staff", request_body = RolesInput,
    params(("id" = Uuid, Path, description = "Member")),
    responses((status = 204, description = "Saved"), (status = 403, description = "Not an owner, or a role the caller does not hold", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody), (status = 409, description = "The last owner cannot be demoted", body = ErrorBody), (status = 422, description = "No role, or an unknown one", body = ErrorBody)))]
async fn set_roles(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
    JsonBody(input): JsonBody<RolesInput>,
) -> Result<StatusCode, ApiError> {
    team::set_roles(&state, &staff, StaffId::from_uuid(id), &input.roles).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff",
    params(("id" = Uuid, Path, description = "Member")),
    responses((status = 204, description = "Removed; their sessions end"), (status = 403, description = "Not an owner, a role the caller does not hold, or re-authentication needed", body = ErrorBody), (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "The last owner cannot be removed", body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<Uuid>,
) -> Result<StatusCode, ApiError> {
    team::remove(&state, &staff, StaffId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/staff/review", tag = "staff",
    responses((status = 200, body = Review), (status = 403, description = "Not an owner", body = ErrorBody)))]
async fn access_review(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
) -> Result<Json<Review>, ApiError> {
    Ok(Json(review::review(&state, &staff).await?))
}
