//! The second factor and the member's own security (O9): TOTP enrolment with recovery
//! codes shown once, the code step of a login, re-authentication before sensitive
//! actions, and the member's sessions with revoke. A second factor is required of owners,
//! and of every member when an owner turns that on. Wrong codes count towards the same
//! lockout as wrong passwords.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use platform_auth::Token;
use platform_auth::totp::{Totp, recovery_codes, recovery_digest};
use platform_domain::{Permission, StaffRole};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use secrecy::SecretString;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::require;
use crate::app::staff::{self, Staff, require_fresh};
use crate::db;
use crate::error::ApiError;

/// Sealing context of TOTP secrets (sealed under the member as subject).
const TOTP_CONTEXT: &str = "staff_accounts.totp_secret";
/// A login waits at most this long for its code.
const CODE_WAIT: Duration = Duration::minutes(5);

fn wrong_code() -> ApiError {
    ApiError::Invalid(platform_domain::Invalid::new(
        "auth.invalid_code",
        "That code is not right. Type the 6 digits your app shows now, or a recovery code.",
    ))
}

/// The member's TOTP, opened, and the stored row.
async fn totp_of(
    state: &AppState,
    tx: &mut TenantTx,
    staff_id: platform_domain::StaffId,
) -> Result<Option<(Totp, db::staff::MfaRow)>, ApiError> {
    let Some(row) = db::staff::mfa(tx, staff_id).await? else {
        return Ok(None);
    };
    let Some(sealed) = row.totp_secret_sealed.clone() else {
        return Ok(None);
    };
    let secret = state
        .vault
        .open(tx, TOTP_CONTEXT, &Sealed::from_bytes(sealed)?)
        .await?;
    let shop = db::shops::get(tx).await?;
    let totp = Totp::new(
        &secret,
        &format!("{} admin", shop.display_name),
        &shop.handle,
    )
    .map_err(|_| wrong_code())?;
    Ok(Some((totp, row)))
}

/// Checks a TOTP code (or, with `recovery`, a recovery code) of `staff_id`, recording
/// the step used; false when wrong.
async fn check_code(
    state: &AppState,
    tx: &mut TenantTx,
    staff_id: platform_domain::StaffId,
    code: &str,
    enable: bool,
) -> Result<bool, ApiError> {
    let now = state.clock.now();
    let Some((totp, row)) = totp_of(state, tx, staff_id).await? else {
        return Ok(false);
    };
    let last = row.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let unix = u64::try_from(now.timestamp()).unwrap_or(0);
    if let Some(step) = totp.verify(code, unix, last) {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        db::staff::totp_used(tx, staff_id, step, enable.then_some(now)).await?;
        return Ok(true);
    }
    // A recovery code stands in for a code once the factor is on.
    Ok(!enable
        && row.mfa_enabled_at.is_some()
        && db::staff::use_recovery_code(tx, staff_id, &recovery_digest(code), now).await?)
}

/// Throttling key of a member's codes, beside the password's.
fn code_key(tenant: TenantId, staff_id: platform_domain::StaffId) -> String {
    format!("code\n{tenant}\n{staff_id}")
}

/// The code step of a login: `token` names a session whose password was right.
pub async fn second_factor(
    state: &AppState,
    ip: IpAddr,
    tenant: TenantId,
    token: &Token,
    code: &str,
) -> Result<Staff, ApiError> {
    let now = state.clock.now();
    if let Some(wait) = state.limiter.blocked_for(ip, now) {
        return Err(ApiError::Throttled("auth.throttled", wait));
    }
    let digest = token.digest();
    let mut tx = state.db.begin(tenant).await?;
    let Some(session) = db::staff::session(&mut tx, &digest).await? else {
        return Err(ApiError::Unauthenticated);
    };
    if !session.mfa_pending || now - session.created_at > CODE_WAIT {
        return Err(ApiError::Unauthenticated);
    }
    let key = code_key(tenant, session.staff_id);
    if let Some(until) = state.lockouts.locked_until(&key, ip, now) {
        return Err(ApiError::Throttled(
            "auth.locked",
            (until - now).num_seconds().max(1) as u32,
        ));
    }
    let recent =
        db::staff::failures_since(&mut tx, session.staff_id, now - Duration::hours(1)).await?;
    if recent >= i64::from(state.policy.hourly_failures) {
        return Err(ApiError::Throttled("auth.throttled", 3600));
    }
    let ok = check_code(state, &mut tx, session.staff_id, code, false).await?;
    db::staff::record_attempt(&mut tx, session.staff_id, now, ok).await?;
    if !ok {
        tx.commit().await?;
        state.limiter.fail(ip, now);
        state.lockouts.fail(&state.policy, &key, ip, now);
        return Err(wrong_code());
    }
    state.lockouts.succeed(&key, ip);
    db::staff::complete_session(&mut tx, &digest, now).await?;
    db::staff::mark_login(&mut tx, session.staff_id, now).await?;
    tx.commit().await?;
    let mut tx = state.db.begin(tenant).await?;
    let member = db::staff::roles(&mut tx, session.staff_id).await?;
    tx.commit().await?;
    Ok(Staff {
        csrf: session.csrf_token,
        session: digest.to_vec(),
        reauth_at: Some(now),
        ..Staff::identified(tenant, session.staff_id, member)
    })
}

/// Re-authentication: the password, and the code when the factor is on; the session is
/// fresh for sensitive actions for the next 5 minutes.
pub async fn reauthenticate(
    state: &AppState,
    ip: IpAddr,
    staff: &Staff,
    password: SecretString,
    code: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let key = code_key(staff.tenant, staff.staff_id);
    if let Some(until) = state.lockouts.locked_until(&key, ip, now) {
        return Err(ApiError::Throttled(
            "auth.locked",
            (until - now).num_seconds().max(1) as u32,
        ));
    }
    let mut tx = state.db.begin(staff.tenant).await?;
    let row = db::staff::mfa(&mut tx, staff.staff_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let password_ok = state
        .hasher
        .verify(password, Some(row.password_hash.clone()))
        .await?;
    let code_ok = password_ok
        && (row.mfa_enabled_at.is_none()
            || check_code(state, &mut tx, staff.staff_id, code, false).await?);
    db::staff::record_attempt(&mut tx, staff.staff_id, now, code_ok).await?;
    if !code_ok {
        tx.commit().await?;
        state.lockouts.fail(&state.policy, &key, ip, now);
        return Err(ApiError::InvalidCredentials);
    }
    db::staff::reauthenticated(&mut tx, &staff.session, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a member sees of their own security.
#[derive(Debug, Serialize, ToSchema)]
pub struct Security {
    /// The factor is on.
    pub mfa: bool,
    /// It is required of this member (owners; everyone when the shop says so).
    pub mfa_required: bool,
    /// Recovery codes left.
    pub recovery_codes_left: i64,
    /// Open sessions, newest first.
    pub sessions: Vec<SessionView>,
}

/// One open session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Names it for revoking (hex of its token's digest; useless for logging in).
    pub id: String,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// Browser and network.
    pub client: String,
    /// The session of this request.
    pub current: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `staff` must have a second factor.
async fn required(tx: &mut TenantTx, staff: &Staff) -> Result<bool, ApiError> {
    let roles = db::staff::roles(tx, staff.staff_id).await?;
    let all = db::staff::mfa_required_for_all(tx).await?;
    Ok(all || roles.contains(StaffRole::Owner))
}

/// The member's own security page.
pub async fn security(state: &AppState, staff: &Staff) -> Result<Security, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.begin(staff.tenant).await?;
    let row = db::staff::mfa(&mut tx, staff.staff_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let mfa_required = required(&mut tx, staff).await?;
    let left = db::staff::recovery_codes_left(&mut tx, staff.staff_id).await?;
    let sessions = db::staff::open_sessions(&mut tx, staff.staff_id)
        .await?
        .into_iter()
        .filter(|s| {
            staff::LIMITS.judge(s.created_at, s.last_seen_at, now)
                != platform_auth::Freshness::Expired
        })
        .map(|s| SessionView {
            id: hex(&s.token_hash),
            current: s.token_hash == staff.session,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            client: s.client,
        })
        .collect();
    tx.commit().await?;
    Ok(Security {
        mfa: row.mfa_enabled_at.is_some(),
        mfa_required,
        recovery_codes_left: left,
        sessions,
    })
}

/// An enrolment in progress: what to put into the authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    /// The secret in base32, to type by hand.
    pub secret: String,
    /// The `otpauth://` URL.
    pub url: String,
}

async fn changed(
    state: &AppState,
    tx: &mut TenantTx,
    staff: &Staff,
    action: &str,
) -> Result<(), ApiError> {
    audit::record(
        state,
        tx,
        staff,
        Entry {
            action,
            objects: vec![format!("staff:{}", staff.staff_id)],
            classes: Vec::new(),
            purpose: "account security",
        },
    )
    .await
}

/// Starts (or restarts) enrolment with a new secret: any previous factor and its
/// recovery codes stop working at once, and the new one counts once [`confirm`]ed.
pub async fn start(state: &AppState, staff: &Staff) -> Result<Enrolment, ApiError> {
    require_fresh(state, staff)?;
    let secret = Totp::generate_secret();
    let mut tx = state.db.begin(staff.tenant).await?;
    let sealed = state
        .vault
        .seal_for_subject(&mut tx, staff.staff_id.as_uuid(), TOTP_CONTEXT, &secret)
        .await?;
    db::staff::start_totp(&mut tx, staff.staff_id, sealed.into_bytes()).await?;
    db::staff::replace_recovery_codes(&mut tx, staff.staff_id, &[]).await?;
    let (totp, _) = totp_of(state, &mut tx, staff.staff_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    changed(state, &mut tx, staff, "account.mfa_enrol").await?;
    tx.commit().await?;
    Ok(Enrolment {
        secret: totp.secret_base32(),
        url: totp.url(),
    })
}

/// The enrolment started and not yet confirmed, to show again after a mistyped first
/// code (the same secret: the app already holds it).
pub async fn pending(state: &AppState, staff: &Staff) -> Result<Option<Enrolment>, ApiError> {
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let pending = totp_of(state, &mut tx, staff.staff_id)
        .await?
        .filter(|(_, row)| row.mfa_enabled_at.is_none())
        .map(|(totp, _)| Enrolment {
            secret: totp.secret_base32(),
            url: totp.url(),
        });
    tx.commit().await?;
    Ok(pending)
}

/// Confirms enrolment with a first code: the factor is on; the recovery codes are
/// answered once and only their digests kept.
pub async fn confirm(state: &AppState, staff: &Staff, code: &str) -> Result<Vec<String>, ApiError> {
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !check_code(state, &mut tx, staff.staff_id, code, true).await? {
        return Err(wrong_code());
    }
    let (codes, digests) = recovery_codes();
    db::staff::replace_recovery_codes(&mut tx, staff.staff_id, &digests).await?;
    changed(state, &mut tx, staff, "account.mfa_on").await?;
    tx.commit().await?;
    Ok(codes)
}

/// New recovery codes (the old ones stop working).
pub async fn new_recovery_codes(state: &AppState, staff: &Staff) -> Result<Vec<String>, ApiError> {
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let on = db::staff::mfa(&mut tx, staff.staff_id)
        .await?
        .is_some_and(|m| m.mfa_enabled_at.is_some());
    if !on {
        return Err(ApiError::conflict(
            "auth.mfa_off",
            "Turn the second factor on first.",
        ));
    }
    let (codes, digests) = recovery_codes();
    db::staff::replace_recovery_codes(&mut tx, staff.staff_id, &digests).await?;
    changed(state, &mut tx, staff, "account.recovery_codes").await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns the factor off, where it is not required.
pub async fn disable(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if required(&mut tx, staff).await? {
        return Err(ApiError::conflict(
            "auth.mfa_required",
            "A second factor is required of you: it cannot be turned off.",
        ));
    }
    db::staff::disable_mfa(&mut tx, staff.staff_id).await?;
    changed(state, &mut tx, staff, "account.mfa_off").await?;
    tx.commit().await?;
    Ok(())
}

/// Ends one of the member's own sessions (`id` as [`SessionView::id`]).
pub async fn revoke_session(state: &AppState, staff: &Staff, id: &str) -> Result<(), ApiError> {
    let digest: Vec<u8> = (0..id.len() / 2)
        .map_while(|i| u8::from_str_radix(id.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    if digest.len() != 32 {
        return Err(ApiError::NotFound);
    }
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::staff::revoke_own_session(&mut tx, staff.staff_id, &digest, state.clock.now()).await? {
        return Err(ApiError::NotFound);
    }
    changed(state, &mut tx, staff, "account.session_revoke").await?;
    tx.commit().await?;
    Ok(())
}

/// Requires (or not) a second factor of every member of the shop.
pub async fn set_shop_policy(
    state: &AppState,
    staff: &Staff,
    required: bool,
) -> Result<(), ApiError> {
    require(staff, Permission::ManageStaff)?;
    require_fresh(state, staff)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    db::staff::set_mfa_required(&mut tx, required).await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: if required {
                "staff.mfa_required"
            } else {
                "staff.mfa_optional"
            },
            objects: Vec::new(),
            classes: Vec::new(),
            purpose: "account security",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
