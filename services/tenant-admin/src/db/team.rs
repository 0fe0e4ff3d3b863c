//! The shop's staff as a team: members with their roles, invitations, and the staff mail
//! outbox. Emails are sealed; invitation tokens are stored as SHA-256 (and, until their
//! mail leaves, sealed).

use chrono::{DateTime, Utc};
use platform_domain::{RoleSet, StaffId, StaffRole};
use platform_tenancy::TenantTx;
use uuid::Uuid;

use crate::error::{ApiError, on_constraint};

/// Serialises changes to the shop's roles, so that two owners removing each other at
/// once cannot leave the shop without one.
pub async fn lock_roles(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('staff_roles:' || $1::text, 0))")
        .bind(tx.tenant())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// How many members hold the owner role (call under [`lock_roles`]).
pub async fn owner_count(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from staff_roles where tenant_id = $1 and role = 'owner'")
        .bind(tx.tenant())
        .fetch_one(&mut *tx)
        .await
}

/// A member as the team page and the access review show them.
#[derive(Debug, sqlx::FromRow)]
pub struct MemberRow {
    /// Id.
    pub id: StaffId,
    /// Email, sealed.
    pub email_sealed: Vec<u8>,
    /// Joined.
    pub created_at: DateTime<Utc>,
    /// Second factor on since.
    pub mfa_enabled_at: Option<DateTime<Utc>>,
    /// Last login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Last time shown personal data.
    pub last_pii_read_at: Option<DateTime<Utc>>,
    /// Roles held (stored names).
    pub roles: Vec<String>,
    /// When each was granted, same order.
    pub granted_at: Vec<DateTime<Utc>>,
}

/// Every member, oldest first.
pub async fn members(tx: &mut TenantTx) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "select a.id, a.email_sealed, a.created_at, a.mfa_enabled_at, a.last_login_at, \
                a.last_pii_read_at, \
                array(select r.role from staff_roles r \
                       where r.tenant_id = a.tenant_id and r.staff_id = a.id order by r.role) as roles, \
                array(select r.granted_at from staff_roles r \
                       where r.tenant_id = a.tenant_id and r.staff_id = a.id order by r.role) as granted_at \
           from staff_accounts a where a.tenant_id = $1 order by a.created_at, a.id",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await
}

/// Whether the account exists.
pub async fn member_exists(tx: &mut TenantTx, staff: StaffId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from staff_accounts where tenant_id = $1 and id = $2)",
    )
    .bind(tx.tenant())
    .bind(staff)
    .fetch_one(&mut *tx)
    .await
}

/// Takes away every role of `staff` not in `keep`.
pub async fn revoke_roles_except(
    tx: &mut TenantTx,
    staff: StaffId,
    keep: RoleSet,
) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = keep.iter().map(StaffRole::as_str).collect();
    sqlx::query(
        "delete from staff_roles where tenant_id = $1 and staff_id = $2 and role <> all($3::text[])",
    )
    .bind(tx.tenant())
    .bind(staff)
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes an account (its roles, sessions, codes and attempts go with it).
pub async fn delete_member(tx: &mut TenantTx, staff: StaffId) -> Result<(), sqlx::Error> {
    sqlx::query("delete from staff_accounts where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(staff)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A new invitation.
pub struct NewInvitation<'a> {
    /// Id.
    pub id: Uuid,
    /// Blind index of the email.
    pub email_index: &'a [u8],
    /// The email, sealed.
    pub email_sealed: Vec<u8>,
    /// Roles it grants.
    pub roles: RoleSet,
    /// SHA-256 of the link's token.
    pub token_hash: &'a [u8],
    /// The token, sealed, for the mail.
    pub token_sealed: Vec<u8>,
    /// Who invites.
    pub invited_by: StaffId,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// Unused by then, it lapses.
    pub expires_at: DateTime<Utc>,
}

/// Stores an invitation and queues its mail.
pub async fn insert_invitation(tx: &mut TenantTx, i: NewInvitation<'_>) -> Result<(), ApiError> {
    let roles: Vec<&str> = i.roles.iter().map(StaffRole::as_str).collect();
    sqlx::query(
        "insert into staff_invitations (tenant_id, id, email_index, email_sealed, roles, \
         token_hash, token_sealed, invited_by, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tx.tenant())
    .bind(i.id)
    .bind(i.email_index)
    .bind(i.email_sealed)
    .bind(&roles)
    .bind(i.token_hash)
    .bind(i.token_sealed)
    .bind(i.invited_by)
    .bind(i.created_at)
    .bind(i.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        on_constraint(
            e,
            &[(
                "staff_invitations_open_idx",
                "staff.already_invited",
                "This email already has an open invitation. Revoke it first to send a new one.",
            )],
        )
    })?;
    sqlx::query(
        "insert into staff_outbox (tenant_id, id, kind, subject_id, available_at) \
         values ($1, $2, 'staff_invite', $3, $4)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(i.id)
    .bind(i.created_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An invitation as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct InvitationRow {
    /// Id.
    pub id: Uuid,
    /// The email, sealed.
    pub email_sealed: Vec<u8>,
    /// Roles it grants (stored names).
    pub roles: Vec<String>,
    /// The token, sealed (until the mail left).
    pub token_sealed: Option<Vec<u8>>,
    /// Who invited.
    pub invited_by: StaffId,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Lapses.
    pub expires_at: DateTime<Utc>,
    /// Used.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Withdrawn.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The columns of [`InvitationRow`]: a literal, so that queries stay static text.
macro_rules! invitation {
    ($rest:literal) => {
        concat!(
            "select id, email_sealed, roles, token_sealed, invited_by, \
             created_at, expires_at, accepted_at, revoked_at from staff_invitations ",
            $rest
        )
    };
}

/// The invitation with this token digest, locked.
pub async fn invitation_by_token(
    tx: &mut TenantTx,
    token_hash: &[u8],
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(invitation!(
        "where tenant_id = $1 and token_hash = $2 for update"
    ))
    .bind(tx.tenant())
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await
}

/// One invitation.
pub async fn invitation(tx: &mut TenantTx, id: Uuid) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(invitation!("where tenant_id = $1 and id = $2"))
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Invitations neither used nor withdrawn (lapsed ones included), newest first.
pub async fn open_invitations(tx: &mut TenantTx) -> Result<Vec<InvitationRow>, sqlx::Error> {
    sqlx::query_as(invitation!(
        "where tenant_id = $1 and accepted_at is null and revoked_at is null \
         order by created_at desc"
    ))
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await
}

/// Marks an invitation used by `staff`; its token is forgotten.
pub async fn accept_invitation(
    tx: &mut TenantTx,
    id: Uuid,
    staff: StaffId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_invitations set accepted_at = $3, accepted_as = $4, token_sealed = null \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(staff)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Withdraws an open invitation; false when there was none.
pub async fn revoke_invitation(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update staff_invitations set revoked_at = $3, token_sealed = null \
         where tenant_id = $1 and id = $2 and accepted_at is null and revoked_at is null",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets an invitation's sealed token once its mail left.
pub async fn forget_token(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_invitations set token_sealed = null where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A due row of the staff outbox.
#[derive(Debug, sqlx::FromRow)]
pub struct OutboxRow {
    /// Id.
    pub id: Uuid,
    /// `staff_invite` or `access_review`.
    pub kind: String,
    /// The invitation.
    pub subject_id: Option<Uuid>,
    /// The review's month.
    pub period: Option<String>,
    /// Tries so far.
    pub attempts: i32,
}

/// Due rows, locked so that two senders never send one twice.
pub async fn due_mail(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, subject_id, period, attempts from staff_outbox \
         where tenant_id = $1 and sent_at is null and available_at <= $2 \
         order by available_at limit $3 for update skip locked",
    )
    .bind(tx.tenant())
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Marks a row sent.
pub async fn mail_sent(tx: &mut TenantTx, id: Uuid, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("update staff_outbox set sent_at = $3 where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Puts a row back for later, with why it failed (a category, never an address).
pub async fn mail_failed(
    tx: &mut TenantTx,
    id: Uuid,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update staff_outbox set attempts = attempts + 1, available_at = $3, last_error = $4 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(retry_at)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues the monthly access review of `period` (`2026-12`), once.
pub async fn queue_review(
    tx: &mut TenantTx,
    period: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into staff_outbox (tenant_id, id, kind, period, available_at) \
         values ($1, $2, 'access_review', $3, $4) on conflict do nothing",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(period)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
