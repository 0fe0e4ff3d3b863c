//! Staff accounts, logins and sessions (O9).
//!
//! A session cookie `__Host-admin_session` holds `<tenant id>.<random token>`; the
//! database keeps only the token's SHA-256, with the staff member, a CSRF token and the
//! times that enforce the 30-minute idle and 12-hour absolute limits.

use std::net::IpAddr;

use chrono::Duration;
use platform_auth::{Freshness, SessionCookie, SessionLimits, Token};
use platform_domain::{RoleSet, StaffId, StaffRole};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::app::domain::{Email, ShopHandle};
use crate::db;
use crate::error::ApiError;

/// The session cookie (`__Host-`: Secure, Path=/, no Domain).
pub const SESSION: SessionCookie = SessionCookie::new("__Host-admin_session", Duration::hours(12));
/// Session timeouts.
pub const LIMITS: SessionLimits = SessionLimits::STAFF;

/// Blind-index and sealing context of staff emails.
pub const EMAIL_CONTEXT: &str = "staff_accounts.email";

/// An authenticated staff member, from a valid session.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The shop.
    pub tenant: TenantId,
    /// The account.
    pub staff_id: StaffId,
    /// Roles.
    pub roles: RoleSet,
    /// The session's CSRF token.
    pub csrf: String,
    /// The request's id (`x-request-id`), for the audit log.
    pub request_id: Option<String>,
    /// The session's token digest (names it on the sessions page).
    pub session: Vec<u8>,
    /// Last time password (and code) were given in this session.
    pub reauth_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A second factor is required of this member and not set up yet: until it is, the
    /// member holds no role.
    pub mfa_missing: bool,
    /// The platform holds emergency (break-glass) access to this shop right now: owners
    /// see a banner on every page until it ends.
    pub break_glass: bool,
    /// When the shop closes, if an owner asked for it: every member sees a banner.
    pub closes_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Staff {
    /// A member just identified (no session yet).
    pub fn identified(tenant: TenantId, staff_id: StaffId, roles: RoleSet) -> Self {
        Staff {
            tenant,
            staff_id,
            roles,
            csrf: String::new(),
            request_id: None,
            session: Vec::new(),
            reauth_at: None,
            mfa_missing: false,
            break_glass: false,
            closes_at: None,
        }
    }
}

/// How long a re-authentication counts for sensitive actions.
pub const FRESH_FOR: Duration = Duration::minutes(5);

/// Refuses unless password and code were given in this session at most 5 minutes ago
/// (MFA changes, role changes, key revocation, exports).
pub fn require_fresh(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    match staff.reauth_at {
        Some(at) if state.clock.now() - at <= FRESH_FOR => Ok(()),
        _ => Err(ApiError::ReauthRequired),
    }
}

impl Staff {
    /// As the audit log names them.
    pub fn actor(&self) -> platform_audit::Actor {
        platform_audit::Actor::staff(
            self.staff_id.as_uuid(),
            self.roles.iter().map(StaffRole::as_str),
        )
    }
}

/// Creates an account with its email sealed under the member's own key.
pub async fn create_account(
    state: &AppState,
    tx: &mut TenantTx,
    id: StaffId,
    email: &Email,
    password_hash: &str,
    roles: RoleSet,
    granted_by: Option<StaffId>,
) -> Result<(), ApiError> {
    let index = state
        .vault
        .blind_index(tx, EMAIL_CONTEXT, email.as_str())
        .await?;
    let sealed = state
        .vault
        .seal_for_subject(tx, id.as_uuid(), EMAIL_CONTEXT, email.as_str().as_bytes())
        .await?;
    db::staff::insert_account(
        tx,
        db::staff::NewAccount {
            id,
            email_index: &index,
            email_sealed: sealed.into_bytes(),
            password_hash,
        },
    )
    .await?;
    db::staff::grant_roles(tx, id, roles, granted_by, state.clock.now()).await?;
    Ok(())
}

/// The staff member of a session token of `tenant`, if the session is valid; an expired
/// one is revoked on the way.
pub async fn authenticate(
    state: &AppState,
    tenant: TenantId,
    token: &Token,
) -> Result<Option<Staff>, ApiError> {
    let now = state.clock.now();
    let digest = token.digest();
    let mut tx = state.db.begin(tenant).await?;
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
    let break_glass = db::access::break_glass_active(&mut tx, now).await?;
    tx.commit().await?;
    if session.mfa_pending {
        // Password given, code not yet: not logged in.
        return Ok(None);
    }
    let roles = db::staff::role_set(&session.roles);
    let required = roles.contains(StaffRole::Owner) || session.mfa_required_for_all;
    let mfa_missing = required && !session.mfa_on;
    Ok(Some(Staff {
        tenant,
        staff_id: session.staff_id,
        roles: if mfa_missing { RoleSet::EMPTY } else { roles },
        csrf: session.csrf_token,
        request_id: None,
        session: digest.to_vec(),
        reauth_at: session.reauth_at,
        mfa_missing,
        break_glass,
        closes_at: session.closes_at,
    }))
}

/// Login input.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginInput {
    /// The shop's handle.
    pub shop: String,
    /// Email.
    pub email: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// A new session.
pub struct NewSession {
    /// The token the cookie carries.
    pub token: Token,
    /// The staff member.
    pub staff: Staff,
    /// The second factor is still due (`/login/code`).
    pub pending: bool,
}

/// Checks credentials under the throttling rules and opens a session.
pub async fn login(
    state: &AppState,
    ip: IpAddr,
    client: &str,
    input: LoginInput,
) -> Result<NewSession, ApiError> {
    let now = state.clock.now();
    if let Some(wait) = state.limiter.blocked_for(ip, now) {
        return Err(ApiError::Throttled("auth.throttled", wait));
    }
    // Soft lockout per login name and client network, known name or not: the answer
    // never tells whether the account exists, and a stranger elsewhere cannot lock the
    // owner out. The per-account hourly cap below holds across networks.
    let login_name = format!(
        "{}\n{}",
        input.shop.trim().to_ascii_lowercase(),
        input.email.trim().to_lowercase()
    );
    if let Some(until) = state.lockouts.locked_until(&login_name, ip, now) {
        return Err(ApiError::Throttled(
            "auth.locked",
            (until - now).num_seconds().max(1) as u32,
        ));
    }
    let fail = || {
        state.limiter.fail(ip, now);
        state.lockouts.fail(&state.policy, &login_name, ip, now);
        ApiError::InvalidCredentials
    };
    let (Ok(handle), Ok(email)) = (ShopHandle::parse(&input.shop), Email::parse(&input.email))
    else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail());
    };
    let tenant = {
        let mut tx = state.db.platform().await?;
        db::shops::by_handle(&mut tx, handle.as_str()).await?
    };
    let Some(tenant) = tenant else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail());
    };

    let mut tx = state.db.begin(tenant).await?;
    let index = state
        .vault
        .blind_index(&mut tx, EMAIL_CONTEXT, email.as_str())
        .await?;
    let Some(account) = db::staff::account_for_login(&mut tx, &index).await? else {
        state.hasher.verify(input.password, None).await?;
        return Err(fail());
    };
    // Hard cap: at most `hourly_failures` failed attempts per account per rolling hour.
    let recent = db::staff::failures_since(&mut tx, account.id, now - Duration::hours(1)).await?;
    if recent >= i64::from(state.policy.hourly_failures) {
        return Err(ApiError::Throttled("auth.throttled", 3600));
    }

    let ok = state
        .hasher
        .verify(input.password, Some(account.password_hash))
        .await?;
    db::staff::record_attempt(&mut tx, account.id, now, ok).await?;
    if !ok {
        tx.commit().await?;
        return Err(fail());
    }
    state.lockouts.succeed(&login_name, ip);
    db::staff::prune_attempts(&mut tx, account.id, now - Duration::days(1)).await?;
    let roles = db::staff::roles(&mut tx, account.id).await?;
    let member = Staff::identified(tenant, account.id, roles);
    let pending = db::staff::mfa(&mut tx, account.id)
        .await?
        .is_some_and(|m| m.mfa_enabled_at.is_some());
    let required_of_all: bool = db::staff::mfa_required_for_all(&mut tx).await?;
    // Without the factor it needs, the member lands on the page that sets it up.
    let member = Staff {
        mfa_missing: !pending && (roles.contains(StaffRole::Owner) || required_of_all),
        ..member
    };
    let session = open_session(state, &mut tx, member, client, pending).await?;
    tx.commit().await?;
    tracing::info!(tenant_id = %tenant, staff_id = %account.id, "staff logged in");
    Ok(session)
}

/// Opens a session for `member` (who just proved their password) and records the login.
pub async fn open_session(
    state: &AppState,
    tx: &mut TenantTx,
    member: Staff,
    client: &str,
    pending: bool,
) -> Result<NewSession, ApiError> {
    let now = state.clock.now();
    let token = Token::generate();
    let csrf = Token::generate().as_str().to_owned();
    db::staff::insert_session(
        tx,
        &token.digest(),
        member.staff_id,
        &csrf,
        client,
        now,
        pending,
    )
    .await?;
    if !pending {
        db::staff::mark_login(tx, member.staff_id, now).await?;
    }
    Ok(NewSession {
        staff: Staff {
            csrf,
            session: token.digest().to_vec(),
            reauth_at: (!pending).then_some(now),
            ..member
        },
        token,
        pending,
    })
}

/// Ends the session of `token`.
pub async fn logout(state: &AppState, tenant: TenantId, token: &Token) -> Result<(), ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    db::staff::revoke_session(&mut tx, &token.digest(), state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Who is logged in, as `GET /api/v1/me` shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The shop.
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    /// Handle, name and host names of the shop.
    pub shop: MeShop,
    /// The account.
    pub staff_id: StaffId,
    /// Its email, opened from its sealed form.
    pub email: String,
    /// Its roles (none until a required second factor is set up).
    pub roles: Vec<StaffRole>,
    /// A second factor must be set up before the roles count (`/account/security`).
    pub mfa_required: bool,
    /// The session's CSRF token.
    pub csrf_token: String,
}

/// The shop part of [`Me`].
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeShop {
    /// Handle.
    pub handle: String,
    /// Name.
    pub display_name: String,
    /// Host names.
    pub host_names: Vec<String>,
}

/// The logged-in staff member and their shop.
pub async fn me(state: &AppState, staff: &Staff) -> Result<Me, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let shop = db::shops::get(&mut tx).await?;
    let sealed = db::staff::email_sealed(&mut tx, staff.staff_id).await?;
    let email = state
        .vault
        .open(&mut tx, EMAIL_CONTEXT, &Sealed::from_bytes(sealed)?)
        .await?;
    tx.commit().await?;
    Ok(Me {
        tenant_id: staff.tenant,
        shop: MeShop {
            handle: shop.handle,
            display_name: shop.display_name,
            host_names: shop.host_names,
        },
        staff_id: staff.staff_id,
        email: String::from_utf8_lossy(&email).into_owned(),
        roles: staff.roles.iter().collect(),
        mfa_required: staff.mfa_missing,
        csrf_token: staff.csrf.clone(),
    })
}
