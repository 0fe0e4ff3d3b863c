//! Logging in and sessions (O9). A session cookie `__Host-ops_session` holds
//! `ops.<random token>`; the database keeps the token's SHA-256, the member, the CSRF
//! token and the certificate that opened it. Every request must come over a connection
//! presenting that same certificate: a stolen cookie is useless without the staff
//! member's key, and a stolen key useless without password and code.

use std::net::IpAddr;

use chrono::Duration;
use platform_auth::{Freshness, SessionCookie, SessionLimits, Token};
use platform_domain::{PlatformRole, PlatformRoles};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::staff;
use crate::db;
use crate::error::ApiError;

/// The session cookie (`__Host-`: Secure, Path=/, no Domain).
pub const SESSION: SessionCookie = SessionCookie::new("__Host-ops_session", Duration::hours(12));
/// The cookie's scope part.
const SCOPE: &str = "ops";
/// Session timeouts: a staff console's.
pub const LIMITS: SessionLimits = SessionLimits::STAFF;

/// A platform staff member with a valid session.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The account.
    pub id: Uuid,
    /// What merchants see of them.
    pub pseudonym: Uuid,
    /// Their login.
    pub login: String,
    /// Their employer.
    pub entity: String,
    /// Their roles.
    pub roles: PlatformRoles,
    /// The session's CSRF token.
    pub csrf: String,
    /// The session's token digest.
    pub session: Vec<u8>,
    /// The request's id, for the audit log.
    pub request_id: Option<String>,
}

impl Operator {
    /// The role they act in to ask a shop for a grant: the one named, or their first
    /// role that may ask.
    pub fn requesting_role(&self, named: Option<PlatformRole>) -> Result<PlatformRole, ApiError> {
        match named {
            Some(role) if self.roles.contains(role) && role.may_request_grants() => Ok(role),
            Some(_) => Err(ApiError::Forbidden),
            None => self
                .roles
                .iter()
                .find(|r| r.may_request_grants())
                .ok_or(ApiError::Forbidden),
        }
    }
}

/// What a login form or call sends.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// The login name.
    pub login: String,
    /// The password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// The authenticator's current code.
    pub code: String,
}

/// A session just opened.
pub struct Opened {
    /// The token for the cookie.
    pub token: Token,
    /// The CSRF token for unsafe requests.
    pub csrf: String,
}

/// Checks certificate, password and code together, and opens a session. Every failure
/// answers the same and counts towards the lockout.
pub async fn login(
    state: &AppState,
    input: LoginInput,
    fingerprint: Option<[u8; 32]>,
    _ip: IpAddr,
) -> Result<Opened, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.platform().await?;
    let account = db::staff::by_login(&mut tx, input.login.trim()).await?;
    if let Some(until) = account.as_ref().and_then(|a| a.locked_until)
        && until > now
    {
        let secs = u32::try_from((until - now).num_seconds().max(1)).unwrap_or(u32::MAX);
        return Err(ApiError::Throttled(secs));
    }
    let password_ok = state
        .hasher
        .verify(
            input.password,
            account.as_ref().map(|a| a.password_hash.clone()),
        )
        .await?;
    let Some(account) = account else {
        return Err(ApiError::InvalidCredentials);
    };
    let cert_ok = fingerprint.is_some_and(|f| f.as_slice() == account.cert_fingerprint.as_slice());
    let totp = staff::totp_of(state, &account).await?;
    let unix = u64::try_from(now.timestamp()).unwrap_or(0);
    let last = account.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let step = totp.verify(input.code.trim(), unix, last);
    let (true, true, Some(step), None) = (password_ok, cert_ok, step, account.disabled_at) else {
        let streak = account.failed_streak.saturating_add(1);
        let until = state
            .policy
            .locked_until(u32::try_from(streak).unwrap_or(u32::MAX), now);
        db::staff::record_failure(&mut tx, account.id, streak, until).await?;
        tx.commit().await?;
        return Err(ApiError::InvalidCredentials);
    };
    let token = Token::generate();
    let csrf = Token::generate().as_str().to_owned();
    db::staff::insert_session(
        &mut tx,
        &token.digest(),
        account.id,
        &account.cert_fingerprint,
        &csrf,
        now,
    )
    .await?;
    db::staff::record_login(
        &mut tx,
        account.id,
        now,
        i64::try_from(step).unwrap_or(i64::MAX),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(staff_id = %account.id, "platform staff logged in");
    Ok(Opened { token, csrf })
}

/// The `Set-Cookie` of a new session.
pub fn cookie(opened: &Opened) -> axum::http::HeaderValue {
    SESSION.issue(SCOPE, &opened.token)
}

/// The operator of a request: a valid session opened with the certificate this
/// connection presents, of an enabled member.
pub async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    fingerprint: Option<[u8; 32]>,
) -> Result<Option<Operator>, ApiError> {
    let Some((scope, token)) = SESSION.read(headers) else {
        return Ok(None);
    };
    let Some(fingerprint) = fingerprint else {
        return Ok(None);
    };
    if scope != SCOPE {
        return Ok(None);
    }
    let now = state.clock.now();
    let digest = token.digest();
    let mut tx = state.db.platform().await?;
    let Some(session) = db::staff::session(&mut tx, &digest).await? else {
        return Ok(None);
    };
    match LIMITS.judge(session.created_at, session.last_seen_at, now) {
        Freshness::Expired => {
            db::staff::revoke_session(&mut tx, &digest, now).await?;
            tx.commit().await?;
            return Ok(None);
        }
        Freshness::Touch => db::staff::touch_session(&mut tx, &digest, now).await?,
        Freshness::Fresh => {}
    }
    let Some(account) = db::staff::by_id(&mut tx, session.staff_id).await? else {
        return Ok(None);
    };
    if account.disabled_at.is_some()
        || session.cert_fingerprint.as_slice() != fingerprint.as_slice()
        || account.cert_fingerprint.as_slice() != fingerprint.as_slice()
    {
        return Ok(None);
    }
    let roles = db::staff::roles(&mut tx, account.id)
        .await?
        .into_iter()
        .map(|h| h.role)
        .collect();
    tx.commit().await?;
    Ok(Some(Operator {
        id: account.id,
        pseudonym: account.pseudonym,
        login: account.login,
        entity: account.entity,
        roles,
        csrf: session.csrf_token,
        session: digest,
        request_id: headers
            .get(platform_web::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(100).collect()),
    }))
}

/// Ends the operator's session.
pub async fn logout(state: &AppState, operator: &Operator) -> Result<(), ApiError> {
    let mut tx = state.db.platform().await?;
    db::staff::revoke_session(&mut tx, &operator.session, state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that `operator` used `role` now (the review removes roles unused for 30 days).
pub async fn used(
    state: &AppState,
    operator: &Operator,
    role: PlatformRole,
) -> Result<(), ApiError> {
    let mut tx = state.db.platform().await?;
    db::staff::touch_roles(&mut tx, operator.id, &[role.as_str()], state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
