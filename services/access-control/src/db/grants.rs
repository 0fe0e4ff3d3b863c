//! Grants (`processor.access_grants`) and the owners' notices about them.

use chrono::{DateTime, Utc};
use platform_tenancy::{PlatformTx, TenantTx};
use sqlx::Row;
use uuid::Uuid;

/// A grant as stored, with its shop's handle.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tenant_id: Uuid,
    pub shop: String,
    pub id: Uuid,
    pub staff_id: Uuid,
    pub operator_role: String,
    pub kind: String,
    pub purpose: String,
    pub ticket: Option<String>,
    pub reason: String,
    pub incident_id: Option<String>,
    pub classes: Vec<String>,
    pub minutes: i32,
    pub requested_at: DateTime<Utc>,
    pub pending_until: DateTime<Utc>,
    pub status: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub first_used_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub incident_note_at: Option<DateTime<Utc>>,
}

const GRANT: &str = "select g.tenant_id, t.handle as shop, g.id, g.staff_id, \
     g.operator_role, g.kind, g.purpose, g.ticket, g.reason, g.incident_id, \
     g.classes, g.minutes, g.requested_at, g.pending_until, g.status, g.decided_at, \
     g.decided_by, g.starts_at, g.ends_at, g.first_used_at, g.last_used_at, g.ended_at, \
     g.ended_by, g.incident_note_at from processor.access_grants g join tenants t on t.id = g.tenant_id";

fn grant(r: &sqlx::postgres::PgRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        tenant_id: r.try_get("tenant_id")?,
        shop: r.try_get("shop")?,
        id: r.try_get("id")?,
        staff_id: r.try_get("staff_id")?,
        operator_role: r.try_get("operator_role")?,
        kind: r.try_get("kind")?,
        purpose: r.try_get("purpose")?,
        ticket: r.try_get("ticket")?,
        reason: r.try_get("reason")?,
        incident_id: r.try_get("incident_id")?,
        classes: r.try_get("classes")?,
        minutes: r.try_get("minutes")?,
        requested_at: r.try_get("requested_at")?,
        pending_until: r.try_get("pending_until")?,
        status: r.try_get("status")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        first_used_at: r.try_get("first_used_at")?,
        last_used_at: r.try_get("last_used_at")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get("ended_by")?,
        incident_note_at: r.try_get("incident_note_at")?,
    })
}

/// The operator's grants across shops, newest first (the transaction names the
/// operator: the `operator_scope` policy shows only theirs).
pub async fn of_operator(
    tx: &mut PlatformTx,
    staff: Uuid,
    limit: i64,
) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!("{GRANT} where g.staff_id = $1 order by g.requested_at desc limit $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(staff)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(grant).collect()
}

/// One grant of the transaction's shop.
pub async fn find(tx: &mut TenantTx, id: Uuid) -> Result<Option<Grant>, sqlx::Error> {
    let sql = format!("{GRANT} where g.tenant_id = $1 and g.id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(grant).transpose()
}

/// The operator's active grant on the transaction's shop, as the database judges it
/// (its clock, the same `now()` as the row policies).
pub async fn active(tx: &mut TenantTx, staff: Uuid) -> Result<Option<Grant>, sqlx::Error> {
    let sql = format!(
        "{GRANT} where g.tenant_id = $1 and g.staff_id = $2 and g.status = 'approved' \
         and g.starts_at <= now() and now() < g.ends_at order by g.ends_at desc limit 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tx.tenant())
        .bind(staff)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(grant).transpose()
}

/// What a request stores.
pub struct NewGrant<'a> {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub operator: Uuid,
    pub operator_role: &'a str,
    pub operator_entity: &'a str,
    pub kind: &'a str,
    pub purpose: &'a str,
    pub ticket: Option<&'a str>,
    pub reason: &'a str,
    pub incident_id: Option<&'a str>,
    pub classes: &'a [&'a str],
    pub minutes: i32,
    pub at: DateTime<Utc>,
    pub pending_until: DateTime<Utc>,
}

/// Files a request on the transaction's shop.
pub async fn insert(tx: &mut TenantTx, g: NewGrant<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.access_grants (tenant_id, id, staff_id, operator, operator_role, \
         operator_entity, kind, purpose, ticket, reason, incident_id, classes, minutes, \
         requested_at, pending_until) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(tx.tenant())
    .bind(g.id)
    .bind(g.staff_id)
    .bind(g.operator)
    .bind(g.operator_role)
    .bind(g.operator_entity)
    .bind(g.kind)
    .bind(g.purpose)
    .bind(g.ticket)
    .bind(g.reason)
    .bind(g.incident_id)
    .bind(g.classes)
    .bind(g.minutes)
    .bind(g.at)
    .bind(g.pending_until)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The requester takes back a pending request, or ends an approved grant: true when it
/// was theirs and open.
pub async fn close_by_requester(
    tx: &mut TenantTx,
    id: Uuid,
    staff: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "update processor.access_grants set \
           status = case status when 'pending' then 'withdrawn' else 'ended' end, \
           ended_at = $4, ended_by = 'platform:' || $3::text \
         where tenant_id = $1 and id = $2 and staff_id = $3 and status in ('pending', 'approved') \
         returning status",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(staff)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await
}

/// Marks a use of the grant; true when it was the first.
pub async fn mark_used(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let first: Option<bool> = sqlx::query_scalar(
        "update processor.access_grants set first_used_at = coalesce(first_used_at, $3), \
           last_used_at = $3 where tenant_id = $1 and id = $2 returning first_used_at = $3",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(first.unwrap_or(false))
}

/// Closes the shop's grants that ran out (pending past 24 hours, approved past their
/// end), as the database's clock says; their ids and what they were.
pub async fn expire_due(tx: &mut TenantTx) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "update processor.access_grants set status = 'expired', \
           ended_at = case when status = 'approved' then ends_at else pending_until end, \
           ended_by = 'system' \
         where tenant_id = $1 and ((status = 'pending' and pending_until <= now()) \
            or (status = 'approved' and ends_at <= now())) \
         returning id, kind",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("kind")?)))
        .collect()
}

/// Queues a mail to the shop's owners (sent by tenant-admin, which alone reads their
/// addresses).
pub async fn notify(
    tx: &mut TenantTx,
    grant: Uuid,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.grant_notices (tenant_id, id, grant_id, kind, created_at, available_at) \
         values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(grant)
    .bind(kind)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many pending or active grants the operator has on the transaction's shop.
pub async fn open_of(tx: &mut TenantTx, staff: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from processor.access_grants where tenant_id = $1 and staff_id = $2 \
         and (status = 'pending' and pending_until > now() \
              or status = 'approved' and ends_at > now())",
    )
    .bind(tx.tenant())
    .bind(staff)
    .fetch_one(&mut *tx)
    .await
}

/// A second security officer approves a pending break-glass request (never their own:
/// the row's check refuses it too). True when it did.
pub async fn approve_break_glass(
    tx: &mut TenantTx,
    id: Uuid,
    officer: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set status = 'approved', decided_at = $3, decided_by = $4, \
           starts_at = $3, ends_at = $3 + make_interval(mins => minutes) \
         where tenant_id = $1 and id = $2 and kind = 'break_glass' and status = 'pending' \
           and pending_until > $3 and staff_id <> $4",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(officer)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A security officer refuses a pending break-glass request. True when it did.
pub async fn deny_break_glass(
    tx: &mut TenantTx,
    id: Uuid,
    officer: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set status = 'denied', decided_at = $3, decided_by = $4 \
         where tenant_id = $1 and id = $2 and kind = 'break_glass' and status = 'pending' \
           and staff_id <> $4",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(officer)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The requester writes the post-incident note of an approved break-glass. True when it did.
pub async fn write_note(
    tx: &mut TenantTx,
    id: Uuid,
    staff: Uuid,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set incident_note = $4, incident_note_at = $5 \
         where tenant_id = $1 and id = $2 and staff_id = $3 and kind = 'break_glass' \
           and decided_at is not null and status in ('approved', 'ended', 'expired') \
           and incident_note is null",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(staff)
    .bind(note)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Break-glass across shops, newest first: pending ones and those whose note is missing
/// (visible to security officers through the `operator_scope` policy).
pub async fn break_glass_queue(tx: &mut PlatformTx, limit: i64) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!(
        "{GRANT} where g.kind = 'break_glass' and (g.status = 'pending' and g.pending_until > now() \
           or g.decided_at is not null and g.status <> 'denied' and g.incident_note is null) \
         order by g.requested_at desc limit $1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(grant).collect()
}
