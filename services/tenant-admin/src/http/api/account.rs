//! The member's own security and the shop's audit log as JSON: the code step of a login,
//! re-authentication, the second factor, sessions; the log and its export (owners).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::{ClientIp, ErrorBody, JsonBody, PathParams, QueryParams};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::audit::{self, LogPage, LogQuery};
use crate::app::mfa::{self, Enrolment, Security};
use crate::app::staff::{SESSION, Staff};
use crate::error::ApiError;
use crate::http::auth::StaffAdmin;
use crate::http::pages::audit::{ExportQuery, download};

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_code))
        .routes(routes!(reauth))
        .routes(routes!(security))
        .routes(routes!(start_mfa, disable_mfa))
        .routes(routes!(confirm_mfa))
        .routes(routes!(recovery_codes))
        .routes(routes!(revoke_session))
        .routes(routes!(mfa_policy))
        .routes(routes!(log))
        .routes(routes!(export))
}

/// A code: 6 digits from the app, or a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeInput {
    /// The code.
    code: String,
}

/// The session after its code.
#[derive(Debug, Serialize, ToSchema)]
struct CodeAnswer {
    /// The token every unsafe request must carry in `x-csrf-token`.
    csrf_token: String,
}

#[utoipa::path(post, path = "/api/v1/login/code", tag = "session", request_body = CodeInput,
    responses((status = 200, description = "The session is complete", body = CodeAnswer), (status = 401, description = "No session waiting for a code", body = ErrorBody),
        (status = 422, description = "Wrong code", body = ErrorBody), (status = 429, description = "Too many attempts", body = ErrorBody)))]
async fn login_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(input): JsonBody<CodeInput>,
) -> Result<Json<CodeAnswer>, ApiError> {
    let (scope, token) = SESSION.read(&headers).ok_or(ApiError::Unauthenticated)?;
    let tenant = scope.parse().map_err(|_| ApiError::Unauthenticated)?;
    let staff = mfa::second_factor(&state, ip, tenant, &token, &input.code).await?;
    Ok(Json(CodeAnswer {
        csrf_token: staff.csrf,
    }))
}

/// Password and code again.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReauthInput {
    /// Password.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// The code (when the second factor is on).
    #[serde(default)]
    code: String,
}

#[utoipa::path(post, path = "/api/v1/reauth", tag = "session", request_body = ReauthInput,
    responses((status = 204, description = "Sensitive actions allowed for 5 minutes"), (status = 401, description = "Wrong password or code", body = ErrorBody), (status = 422, description = "Body out of shape", body = ErrorBody), (status = 429, description = "Too many attempts", body = ErrorBody)))]
async fn reauth(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Authenticated(staff): Authenticated<Staff>,
    JsonBody(input): JsonBody<ReauthInput>,
) -> Result<StatusCode, ApiError> {
    mfa::reauthenticate(&state, ip, &staff, input.password, &input.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/account/security", tag = "account",
    responses((status = 200, body = Security), (status = 401, description = "No session", body = ErrorBody)))]
async fn security(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Security>, ApiError> {
    Ok(Json(mfa::security(&state, &staff).await?))
}

#[utoipa::path(post, path = "/api/v1/account/mfa", tag = "account",
    responses((status = 200, description = "Enrolment started: add the key to an app, then confirm with a code", body = Enrolment), (status = 403, description = "Re-authentication needed", body = ErrorBody)))]
async fn start_mfa(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Enrolment>, ApiError> {
    Ok(Json(mfa::start(&state, &staff).await?))
}

#[utoipa::path(delete, path = "/api/v1/account/mfa", tag = "account",
    responses((status = 204, description = "Turned off"), (status = 403, description = "Re-authentication needed", body = ErrorBody), (status = 409, description = "Required of this member", body = ErrorBody)))]
async fn disable_mfa(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<StatusCode, ApiError> {
    mfa::disable(&state, &staff).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
struct RecoveryCodes {
    /// Each works once in place of a code.
    recovery_codes: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/account/mfa/confirm", tag = "account", request_body = CodeInput,
    responses((status = 200, description = "On; the recovery codes are shown this once", body = RecoveryCodes), (status = 422, description = "Wrong code", body = ErrorBody), (status = 403, description = "Re-authentication needed", body = ErrorBody)))]
async fn confirm_mfa(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
    JsonBody(input): JsonBody<CodeInput>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    Ok(Json(RecoveryCodes {
        recovery_codes: mfa::confirm(&state, &staff, &input.code).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/account/mfa/recovery-codes", tag = "account",
    responses((status = 200, description = "New codes; the old ones stop working", body = RecoveryCodes), (status = 409, description = "The factor is off", body = ErrorBody), (status = 403, description = "Re-authentication needed", body = ErrorBody)))]
async fn recovery_codes(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    Ok(Json(RecoveryCodes {
        recovery_codes: mfa::new_recovery_codes(&state, &staff).await?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/account/sessions/{id}", tag = "account",
    params(("id" = String, Path, description = "The session's id from /api/v1/account/security")),
    responses((status = 204, description = "Logged out"), (status = 404, description = "No such session of yours", body = ErrorBody)))]
async fn revoke_session(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    mfa::revoke_session(&state, &staff, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The shop's second-factor rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PolicyInput {
    /// Every member needs a second factor (owners always do).
    required: bool,
}

#[utoipa::path(put, path = "/api/v1/staff/mfa-policy", tag = "staff", request_body = PolicyInput,
    responses((status = 204, description = "Saved"), (status = 403, description = "Not an owner, or re-authentication needed", body = ErrorBody), (status = 422, description = "Body out of shape", body = ErrorBody)))]
async fn mfa_policy(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    JsonBody(input): JsonBody<PolicyInput>,
) -> Result<StatusCode, ApiError> {
    mfa::set_shop_policy(&state, &staff, input.required).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(LogQuery),
    responses((status = 200, description = "Newest first, 100 per page", body = LogPage), (status = 403, description = "Not an owner", body = ErrorBody), (status = 422, description = "Filter out of shape", body = ErrorBody)))]
async fn log(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<LogQuery>,
) -> Result<Json<LogPage>, ApiError> {
    Ok(Json(audit::log(&state, &staff, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportQuery),
    responses((status = 200, description = "Every matching event, oldest first, as JSON or CSV, with its hashes"), (status = 403, description = "Not an owner, or re-authentication needed", body = ErrorBody), (status = 422, description = "Filter out of shape", body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let events = audit::export(&state, &staff, &q.filter()).await?;
    download(&events, q.format.as_deref() == Some("csv"))
}
