//! Staff accounts, their sessions and their login attempts. Emails are stored sealed
//! (with a blind index for lookups), passwords as argon2id hashes, session tokens as
//! SHA-256 digests.

use chrono::{DateTime, Utc};
use platform_domain::{RoleSet, StaffId, StaffRole};
use platform_tenancy::TenantTx;
use uuid::Uuid;

use crate::error::{ApiError, on_constraint};

/// A new account.
pub struct NewAccount<'a> {
    /// Id.
    pub id: StaffId,
    /// Keyed blind index of the email (lookups).
    pub email_index: &'a [u8],
    /// The email, sealed under the staff member's own key.
    pub email_sealed: Vec<u8>,
    /// argon2id PHC string.
    pub password_hash: &'a str,
}

/// Creates an account.
pub async fn insert_account(tx: &mut TenantTx, a: NewAccount<'_>) -> Result<(), ApiError> {
    sqlx::query(
        "insert into staff_accounts (tenant_id, id, email_index, email_sealed, password_hash) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tx.tenant())
    .bind(a.id)
    .bind(a.email_index)
    .bind(a.email_sealed)
    .bind(a.password_hash)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        on_constraint(
            e,
            &[(
                "staff_accounts_tenant_id_email_index_key",
                "staff.email_taken",
                "This email already has an account in this shop.",
            )],
        )
    })?;
    Ok(())
}

/// What a login needs of an account.
#[derive(Debug, sqlx::FromRow)]
pub struct LoginAccount {
    /// Id.
    pub id: StaffId,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// The account with this email index, locked for the login's transaction.
pub async fn account_for_login(
    tx: &mut TenantTx,
    email_index: &[u8],
) -> Result<Option<LoginAccount>, sqlx::Error> {
    sqlx::query_as(
        "select id, password_hash from staff_accounts \
         where tenant_id = $1 and email_index = $2 for update",
    )
    .bind(tx.tenant())
    .bind(email_index)
    .fetch_optional(&mut *tx)
    .await
}

/// Failed attempts of an account since `since`.
pub async fn failures_since(
    tx: &mut TenantTx,
    staff: StaffId,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from login_attempts \
         where tenant_id = $1 and staff_id = $2 and not succeeded and at > $3",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(since)
    .fetch_one(&mut *tx)
    .await
}

/// Records an attempt.
pub async fn record_attempt(
    tx: &mut TenantTx,
    staff: StaffId,
    at: DateTime<Utc>,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into login_attempts (tenant_id, id, staff_id, at, succeeded) values ($1, $2, $3, $4, $5)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(staff)
    .bind(at)
    .bind(succeeded)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Forgets attempts older than `before` (they serve no window any more).
pub async fn prune_attempts(
    tx: &mut TenantTx,
    staff: StaffId,
    before: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_attempts where tenant_id = $1 and staff_id = $2 and at < $3")
        .bind(tx.tenant())
        .bind(staff)
        .bind(before)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Opens a session.
pub async fn insert_session(
    tx: &mut TenantTx,
    token_digest: &[u8],
    staff: StaffId,
    csrf: &str,
    client: &str,
    now: DateTime<Utc>,
    mfa_pending: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into staff_sessions (tenant_id, token_hash, staff_id, csrf_token, created_at, \
         last_seen_at, reauth_at, client, mfa_pending) \
         values ($1, $2, $3, $4, $5, $5, case when $7 then null else $5 end, $6, $7)",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(staff)
    .bind(csrf)
    .bind(now)
    .bind(client)
    .bind(mfa_pending)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A live session with its staff member's roles.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    /// The staff member.
    pub staff_id: StaffId,
    /// Roles (stored text).
    pub roles: Vec<String>,
    /// Password given, second factor still due.
    pub mfa_pending: bool,
    /// Last time password (and code) were given.
    pub reauth_at: Option<DateTime<Utc>>,
    /// The member's second factor is on.
    pub mfa_on: bool,
    /// The shop requires a second factor of every member.
    pub mfa_required_for_all: bool,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Last request at (to the touch granularity).
    pub last_seen_at: DateTime<Utc>,
    /// When the shop closes, if an owner asked for it.
    pub closes_at: Option<DateTime<Utc>>,
}

/// The unrevoked session with this token digest.
pub async fn session(
    tx: &mut TenantTx,
    token_digest: &[u8],
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "select s.staff_id, s.csrf_token, s.created_at, s.last_seen_at, s.mfa_pending, s.reauth_at, \
                a.mfa_enabled_at is not null as mfa_on, \
                coalesce((select st.staff_mfa_required from store_settings st \
                           where st.tenant_id = s.tenant_id), false) as mfa_required_for_all, \
                array(select r.role from staff_roles r \
                       where r.tenant_id = s.tenant_id and r.staff_id = s.staff_id) as roles, \
                (select t.closes_at from tenants t where t.id = s.tenant_id) as closes_at \
         from staff_sessions s \
         join staff_accounts a on a.tenant_id = s.tenant_id and a.id = s.staff_id \
         where s.tenant_id = $1 and s.token_hash = $2 and s.revoked_at is null",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .fetch_optional(&mut *tx)
    .await
}

/// Records that the session was used now.
pub async fn touch_session(
    tx: &mut TenantTx,
    token_digest: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_sessions set last_seen_at = $3 where tenant_id = $1 and token_hash = $2",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Ends the session.
pub async fn revoke_session(
    tx: &mut TenantTx,
    token_digest: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_sessions set revoked_at = $3 where tenant_id = $1 and token_hash = $2",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The sealed email of an account.
pub async fn email_sealed(tx: &mut TenantTx, staff: StaffId) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar("select email_sealed from staff_accounts where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(staff)
        .fetch_one(&mut *tx)
        .await
}

/// Parses stored role names (an unknown name grants nothing).
pub fn role_set(names: &[String]) -> RoleSet {
    names.iter().filter_map(|n| StaffRole::parse(n)).collect()
}

/// The roles of an account.
pub async fn roles(tx: &mut TenantTx, staff: StaffId) -> Result<RoleSet, sqlx::Error> {
    let names: Vec<String> =
        sqlx::query_scalar("select role from staff_roles where tenant_id = $1 and staff_id = $2")
            .bind(tx.tenant())
            .bind(staff)
            .fetch_all(&mut *tx)
            .await?;
    Ok(role_set(&names))
}

/// Grants `roles` to an account (those it holds already stay as they were).
pub async fn grant_roles(
    tx: &mut TenantTx,
    staff: StaffId,
    roles: RoleSet,
    granted_by: Option<StaffId>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = roles.iter().map(StaffRole::as_str).collect();
    sqlx::query(
        "insert into staff_roles (tenant_id, staff_id, role, granted_at, granted_by) \
         select $1, $2, unnest($3::text[]), $4, $5 on conflict do nothing",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(&names)
    .bind(at)
    .bind(granted_by)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that a member was just shown personal data.
pub async fn mark_pii_read(
    tx: &mut TenantTx,
    staff: StaffId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update staff_accounts set last_pii_read_at = $3 where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(staff)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records a login.
pub async fn mark_login(
    tx: &mut TenantTx,
    staff: StaffId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update staff_accounts set last_login_at = $3 where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(staff)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A member's second factor as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct MfaRow {
    /// The TOTP secret, sealed (set when enrolment starts).
    pub totp_secret_sealed: Option<Vec<u8>>,
    /// On since.
    pub mfa_enabled_at: Option<DateTime<Utc>>,
    /// The last step a code was accepted for (no replays).
    pub totp_last_step: Option<i64>,
    /// argon2id PHC string (re-authentication checks it).
    pub password_hash: String,
}

/// The member's second factor, locked for the transaction.
pub async fn mfa(tx: &mut TenantTx, staff: StaffId) -> Result<Option<MfaRow>, sqlx::Error> {
    sqlx::query_as(
        "select totp_secret_sealed, mfa_enabled_at, totp_last_step, password_hash \
         from staff_accounts where tenant_id = $1 and id = $2 for update",
    )
    .bind(tx.tenant())
    .bind(staff)
    .fetch_optional(&mut *tx)
    .await
}

/// Stores a new secret (enrolment started; the factor is off until a code confirms it).
pub async fn start_totp(
    tx: &mut TenantTx,
    staff: StaffId,
    sealed: Vec<u8>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_accounts set totp_secret_sealed = $3, mfa_enabled_at = null, \
         totp_last_step = null where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(sealed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Turns the factor on, or records the step of a code just used.
pub async fn totp_used(
    tx: &mut TenantTx,
    staff: StaffId,
    step: i64,
    enable_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_accounts set totp_last_step = $3, \
         mfa_enabled_at = coalesce(mfa_enabled_at, $4) where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(step)
    .bind(enable_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Turns the factor off: the secret and the recovery codes are forgotten.
pub async fn disable_mfa(tx: &mut TenantTx, staff: StaffId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_accounts set totp_secret_sealed = null, mfa_enabled_at = null, \
         totp_last_step = null where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(staff)
    .execute(&mut *tx)
    .await?;
    replace_recovery_codes(tx, staff, &[]).await
}

/// Replaces the member's recovery codes with these digests.
pub async fn replace_recovery_codes(
    tx: &mut TenantTx,
    staff: StaffId,
    digests: &[[u8; 32]],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from staff_recovery_codes where tenant_id = $1 and staff_id = $2")
        .bind(tx.tenant())
        .bind(staff)
        .execute(&mut *tx)
        .await?;
    let digests: Vec<Vec<u8>> = digests.iter().map(|d| d.to_vec()).collect();
    sqlx::query(
        "insert into staff_recovery_codes (tenant_id, staff_id, code_hash) \
         select $1, $2, unnest($3::bytea[])",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(&digests)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Uses up a recovery code; false when it is unknown or used.
pub async fn use_recovery_code(
    tx: &mut TenantTx,
    staff: StaffId,
    digest: &[u8],
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update staff_recovery_codes set used_at = $4 \
         where tenant_id = $1 and staff_id = $2 and code_hash = $3 and used_at is null",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(digest)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Recovery codes left.
pub async fn recovery_codes_left(tx: &mut TenantTx, staff: StaffId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from staff_recovery_codes \
         where tenant_id = $1 and staff_id = $2 and used_at is null",
    )
    .bind(tx.tenant())
    .bind(staff)
    .fetch_one(&mut *tx)
    .await
}

/// The second factor was given: the session becomes full, and fresh.
pub async fn complete_session(
    tx: &mut TenantTx,
    token_digest: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_sessions set mfa_pending = false, reauth_at = $3, last_seen_at = $3 \
         where tenant_id = $1 and token_hash = $2",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Password (and code) given again.
pub async fn reauthenticated(
    tx: &mut TenantTx,
    token_digest: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_sessions set reauth_at = $3 where tenant_id = $1 and token_hash = $2",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One of a member's open sessions.
#[derive(Debug, sqlx::FromRow)]
pub struct OpenSession {
    /// Its token's digest (names it; useless for logging in).
    pub token_hash: Vec<u8>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// Browser and network.
    pub client: String,
}

/// The member's sessions not revoked, newest first (expired ones are judged by the caller).
pub async fn open_sessions(
    tx: &mut TenantTx,
    staff: StaffId,
) -> Result<Vec<OpenSession>, sqlx::Error> {
    sqlx::query_as(
        "select token_hash, created_at, last_seen_at, client from staff_sessions \
         where tenant_id = $1 and staff_id = $2 and revoked_at is null and not mfa_pending \
         order by created_at desc",
    )
    .bind(tx.tenant())
    .bind(staff)
    .fetch_all(&mut *tx)
    .await
}

/// Ends one of `staff`'s own sessions; false when there is none such.
pub async fn revoke_own_session(
    tx: &mut TenantTx,
    staff: StaffId,
    token_digest: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update staff_sessions set revoked_at = $4 \
         where tenant_id = $1 and staff_id = $2 and token_hash = $3 and revoked_at is null",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(token_digest)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the shop requires a second factor of every member.
pub async fn set_mfa_required(tx: &mut TenantTx, required: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update store_settings set staff_mfa_required = $2 where tenant_id = $1")
        .bind(tx.tenant())
        .bind(required)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Whether the shop requires a second factor of every member (owners always need one).
pub async fn mfa_required_for_all(tx: &mut TenantTx) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce((select staff_mfa_required from store_settings where tenant_id = $1), false)",
    )
    .bind(tx.tenant())
    .fetch_one(&mut *tx)
    .await
}
