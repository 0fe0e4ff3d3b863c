//! Platform staff, managed by security officers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use platform_auth::extract::RequireRole;
use platform_domain::{PlatformRole, PlatformRoles};
use platform_web::{ErrorBody, JsonBody};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::operator::Operator;
use crate::app::staff::{self, Member, NewMember};
use crate::error::ApiError;
use crate::http::auth::SecurityOfficer;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, add))
}

/// A new member.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddInput {
    /// Login name.
    login: String,
    /// Name (inside the platform only).
    name: String,
    /// Employing entity (merchants see it).
    entity: String,
    /// First password.
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// Their client certificate (PEM), issued by the staff CA.
    certificate: String,
    /// Roles.
    roles: Vec<PlatformRole>,
}

/// The new member's authenticator key, shown once.
#[derive(Serialize, ToSchema)]
struct Added {
    /// The account.
    id: Uuid,
    /// What merchants will see.
    pseudonym: Uuid,
    /// The TOTP key in base32.
    totp_secret: String,
    /// The `otpauth://` URL.
    totp_url: String,
}

/// `POST /api/v1/staff`: a security officer adds a member.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = AddInput,
    responses((status = 201, body = Added), (status = 401, description = "No session", body = ErrorBody),
        (status = 403, description = "Not a security officer, or CSRF token missing", body = ErrorBody),
        (status = 409, description = "Login or certificate taken", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
    JsonBody(input): JsonBody<AddInput>,
) -> Result<(StatusCode, Json<Added>), ApiError> {
    let cert_fingerprint = platform_web::tls::fingerprint_pem(input.certificate.as_bytes())
        .ok_or_else(|| {
            ApiError::invalid(
                "staff.certificate_invalid",
                "The certificate is not a PEM certificate.",
            )
        })?;
    let created = staff::add(
        &state,
        &op,
        NewMember {
            login: input.login,
            name: input.name,
            entity: input.entity,
            password: input.password,
            cert_fingerprint,
            roles: input.roles.into_iter().collect::<PlatformRoles>(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Added {
            id: created.id,
            pseudonym: created.pseudonym,
            totp_secret: created.totp.secret_base32(),
            totp_url: created.totp.url(),
        }),
    ))
}

/// A role held.
#[derive(Serialize, ToSchema)]
struct HeldView {
    /// The role.
    role: PlatformRole,
    /// Granted.
    granted_at: DateTime<Utc>,
    /// Eligibility last confirmed by a security officer.
    confirmed_at: DateTime<Utc>,
    /// Last used (a read under a grant).
    last_used_at: Option<DateTime<Utc>>,
}

/// A member as the staff list shows them.
#[derive(Serialize, ToSchema)]
struct MemberView {
    /// The account.
    id: Uuid,
    /// Login.
    login: String,
    /// Name.
    name: String,
    /// Employer.
    entity: String,
    /// Roles.
    roles: Vec<HeldView>,
    /// Since when.
    created_at: DateTime<Utc>,
    /// Last login.
    last_login_at: Option<DateTime<Utc>>,
    /// Disabled.
    disabled: bool,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            id: m.id,
            login: m.login,
            name: m.name,
            entity: m.entity,
            roles: m
                .roles
                .into_iter()
                .map(|h| HeldView {
                    role: h.role,
                    granted_at: h.granted_at,
                    confirmed_at: h.confirmed_at,
                    last_used_at: h.last_used_at,
                })
                .collect(),
            created_at: m.created_at,
            last_login_at: m.last_login_at,
            disabled: m.disabled,
        }
    }
}

/// `GET /api/v1/staff`: every member.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, body = Vec<MemberView>), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a security officer", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    RequireRole(op, _): RequireRole<SecurityOfficer, Operator>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    Ok(Json(
        staff::members(&state, &op)
            .await?
            .into_iter()
            .map(MemberView::from)
            .collect(),
    ))
}
