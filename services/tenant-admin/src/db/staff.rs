//! Staff accounts, their sessions and their login attempts. Emails are stored sealed
//! (with a blind index for lookups), passwords as argon2id hashes, session tokens as
//! SHA-256 digests.

use chrono::{DateTime, Utc};
use platform_domain::{StaffId, StaffRole};
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
    /// Role.
    pub role: StaffRole,
}

/// Creates an account.
pub async fn insert_account(tx: &mut TenantTx, a: NewAccount<'_>) -> Result<(), ApiError> {
    sqlx::query(
        "insert into staff_accounts (tenant_id, id, email_index, email_sealed, password_hash, role) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tx.tenant())
    .bind(a.id)
    .bind(a.email_index)
    .bind(a.email_sealed)
    .bind(a.password_hash)
    .bind(a.role)
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
    /// Role.
    pub role: StaffRole,
}

/// The account with this email index, locked for the login's transaction.
pub async fn account_for_login(
    tx: &mut TenantTx,
    email_index: &[u8],
) -> Result<Option<LoginAccount>, sqlx::Error> {
    sqlx::query_as(
        "select id, password_hash, role from staff_accounts \
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
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into staff_sessions (tenant_id, token_hash, staff_id, csrf_token, created_at, last_seen_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(tx.tenant())
    .bind(token_digest)
    .bind(staff)
    .bind(csrf)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A live session with its staff member's role.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    /// The staff member.
    pub staff_id: StaffId,
    /// Role.
    pub role: StaffRole,
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
        "select s.staff_id, a.role, s.csrf_token, s.created_at, s.last_seen_at \
         from staff_sessions s join staff_accounts a on a.tenant_id = s.tenant_id and a.id = s.staff_id \
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
