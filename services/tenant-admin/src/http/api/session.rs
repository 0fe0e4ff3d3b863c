//! Sign-up, login, logout and who-am-I.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform_domain::{StaffId, StaffRole};
use platform_tenancy::TenantId;
use platform_web::ErrorBody;
use platform_web::{ClientIp, JsonBody};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::shops::{self, SignedUp, SignupInput};
use crate::app::staff::{self, LoginInput, Me, SESSION};
use crate::error::ApiError;
use platform_auth::extract::Authenticated;

use crate::app::staff::Staff;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[utoipa::path(post, path = "/api/v1/signup", tag = "session", request_body = SignupInput,
    responses((status = 201, body = SignedUp), (status = 429, description = "Too many sign-ups from this network", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
/// `POST /api/v1/signup`.
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(input): JsonBody<SignupInput>,
) -> Result<(StatusCode, Json<SignedUp>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(shops::signup(&state, ip, input).await?),
    ))
}

/// What a login answers beside the session cookie.
#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    /// The shop.
    #[schema(value_type = String, format = Uuid)]
    tenant_id: TenantId,
    /// The account.
    staff_id: StaffId,
    /// Its roles.
    roles: Vec<StaffRole>,
    /// The second factor is due: send it to `POST /api/v1/login/code` before anything else.
    mfa_required: bool,
    /// The token every unsafe request must carry in `x-csrf-token`.
    csrf_token: String,
}

/// `POST /api/v1/login`: sets the session cookie; the body carries the CSRF token.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginInput,
    responses((status = 200, description = "Sets the session cookie", body = LoginAnswer),
        (status = 401, description = "Wrong shop, email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let client = crate::http::auth::client_label(&headers, ip);
    let session = staff::login(&state, ip, &client, input).await?;
    let s = &session.staff;
    let mut response = Json(LoginAnswer {
        tenant_id: s.tenant,
        staff_id: s.staff_id,
        roles: s.roles.iter().collect(),
        mfa_required: session.pending,
        csrf_token: s.csrf.clone(),
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        SESSION.issue(&s.tenant.to_string(), &session.token),
    );
    Ok(response)
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses((status = 204, description = "Session revoked"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody)))]
/// `POST /api/v1/logout`.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Response, ApiError> {
    let (_, token) = SESSION.read(&headers).ok_or(ApiError::Unauthenticated)?;
    staff::logout(&state, staff.tenant, &token).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, SESSION.clear());
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me), (status = 401, description = "No session", body = ErrorBody)))]
/// `GET /api/v1/me`.
async fn me(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Me>, ApiError> {
    Ok(Json(staff::me(&state, &staff).await?))
}
