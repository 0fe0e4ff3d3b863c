//! Login, logout and who-am-I.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform_auth::extract::Authenticated;
use platform_domain::PlatformRole;
use platform_web::{ClientIp, ErrorBody, JsonBody};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::{self, LoginInput, Operator};
use crate::error::ApiError;
use crate::http::auth::Certificate;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// What a login answers beside the session cookie.
#[derive(Serialize, ToSchema)]
struct LoginAnswer {
    /// The token every unsafe request must carry in `x-csrf-token`.
    csrf_token: String,
}

/// `POST /api/v1/login`: certificate (of this connection), password and code together.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginInput,
    responses((status = 200, description = "Sets the session cookie", body = LoginAnswer),
        (status = 401, description = "Wrong certificate, login, password or code", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Certificate(cert): Certificate,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let opened = operator::login(&state, input, cert, ip).await?;
    let mut response = Json(LoginAnswer {
        csrf_token: opened.csrf.clone(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, operator::cookie(&opened));
    Ok(response)
}

/// `POST /api/v1/logout`.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "CSRF token missing", body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    Authenticated(op): Authenticated<Operator>,
) -> Result<Response, ApiError> {
    operator::logout(&state, &op).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, operator::SESSION.clear());
    Ok(r)
}

/// Who is logged in.
#[derive(Serialize, ToSchema)]
struct Me {
    /// The login.
    login: String,
    /// What merchants see of them.
    pseudonym: Uuid,
    /// Their employer.
    entity: String,
    /// Their roles.
    roles: Vec<PlatformRole>,
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, description = "No session", body = ErrorBody)))]
async fn me(Authenticated(op): Authenticated<Operator>) -> Json<Me> {
    Json(Me {
        login: op.login,
        pseudonym: op.pseudonym,
        entity: op.entity,
        roles: op.roles.iter().collect(),
    })
}
