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
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into staff_sessions (tenant_id, token_hash, staff_id, csrf_token, created_at, \
         last_seen_at, reauth_at, client) values ($1, $2, $3, $4, $5, $5, $5, $6)",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(staff)
    .bind(csrf)
    .bind(now)
    .bind(client)
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
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Last request at (to the touch granularity).
    pub last_seen_at: DateTime<Utc>,
}

/// The unrevoked session with this token digest.
pub async fn session(
    tx: &mut TenantTx,
    token_digest: &[u8],
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "select s.staff_id, s.csrf_token, s.created_at, s.last_seen_at, \
                array(select r.role from staff_roles r \
                       where r.tenant_id = s.tenant_id and r.staff_id = s.staff_id) as roles \
         from staff_sessions s \
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
