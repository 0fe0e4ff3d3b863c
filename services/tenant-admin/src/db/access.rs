//! Grants to the platform's staff (`processor.access_grants`), as the shop's owners see and
//! decide them, and the notices about them. The rows are written by access-control;
//! this role may only decide (approve, deny) and end.

use chrono::{DateTime, Utc};
use platform_tenancy::TenantTx;
use sqlx::Row;
use uuid::Uuid;

/// A grant, as the owners see it.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: Uuid,
    pub operator: Uuid,
    pub operator_role: String,
    pub operator_entity: String,
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
}

const GRANT: &str = "select id, operator, operator_role, operator_entity, kind, purpose, ticket, \
     reason, incident_id, classes, minutes, requested_at, pending_until, status, decided_at, \
     decided_by, starts_at, ends_at, first_used_at, last_used_at, ended_at, ended_by \
     from processor.access_grants";

fn grant(r: &sqlx::postgres::PgRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        id: r.try_get("id")?,
        operator: r.try_get("operator")?,
        operator_role: r.try_get("operator_role")?,
        operator_entity: r.try_get("operator_entity")?,
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
    })
}

/// The shop's grants, newest first.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!("{GRANT} where tenant_id = $1 order by requested_at desc limit $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tx.tenant())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(grant).collect()
}

/// One grant.
pub async fn find(tx: &mut TenantTx, id: Uuid) -> Result<Option<Grant>, sqlx::Error> {
    let sql = format!("{GRANT} where tenant_id = $1 and id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(grant).transpose()
}

/// Approves a pending request that has not lapsed: the clock starts now. True when it did.
pub async fn approve(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set status = 'approved', decided_at = $3, decided_by = $4, \
           starts_at = $3, ends_at = $3 + make_interval(mins => minutes) \
         where tenant_id = $1 and id = $2 and kind = 'grant' and status = 'pending' \
           and pending_until > $3",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Denies a pending request. True when it did.
pub async fn deny(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set status = 'denied', decided_at = $3, decided_by = $4 \
         where tenant_id = $1 and id = $2 and kind = 'grant' and status = 'pending'",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an approved grant (or break-glass) now. True when it did.
pub async fn end(
    tx: &mut TenantTx,
    id: Uuid,
    owner: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.access_grants set status = 'ended', ended_at = $3, \
           ended_by = 'staff:' || $4::text \
         where tenant_id = $1 and id = $2 and status = 'approved' and ends_at > $3",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(at)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a break-glass grant is open on the shop now.
pub async fn break_glass_active(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from processor.access_grants where tenant_id = $1 \
         and status = 'approved' and kind = 'break_glass' and ends_at > $2)",
    )
    .bind(tx.tenant())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
}

/// Queues a notice to the owners.
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

/// A legally forced disclosure, once the owners may know of it (the database hides one
/// under a non-disclosure order from this role until the order ends).
#[derive(Debug, Clone)]
pub struct Disclosure {
    pub id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub authority: String,
    pub instrument: String,
    pub jurisdiction: String,
    pub classes: Vec<String>,
    pub subjects: String,
    pub gag_until: Option<DateTime<Utc>>,
    pub gag_order: Option<String>,
}

/// The shop's disclosures the owners may see, newest first (or one).
pub async fn disclosures(
    tx: &mut TenantTx,
    only: Option<Uuid>,
) -> Result<Vec<Disclosure>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, recorded_at, authority, instrument, jurisdiction, classes, subjects, gag_until, \
         gag_order from processor.disclosures where tenant_id = $1 and ($2::uuid is null or id = $2) \
         order by recorded_at desc",
    )
    .bind(tx.tenant())
    .bind(only)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Disclosure {
                id: r.try_get("id")?,
                recorded_at: r.try_get("recorded_at")?,
                authority: r.try_get("authority")?,
                instrument: r.try_get("instrument")?,
                jurisdiction: r.try_get("jurisdiction")?,
                classes: r.try_get("classes")?,
                subjects: r.try_get("subjects")?,
                gag_until: r.try_get("gag_until")?,
                gag_order: r.try_get("gag_order")?,
            })
        })
        .collect()
}

/// Queues the owners' monthly summary of platform access for the month starting on
/// `period` (once per month and shop). True when queued now.
pub async fn queue_summary(
    tx: &mut TenantTx,
    period: chrono::NaiveDate,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into processor.grant_notices (tenant_id, id, kind, period, created_at, available_at) \
         values ($1, $2, 'monthly', $3, $4, $4) on conflict (tenant_id, kind, period) do nothing",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(period)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The grants asked for, or used, between `from` and `until`.
pub async fn in_period(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = format!(
        "{GRANT} where tenant_id = $1 and ((requested_at >= $2 and requested_at < $3) \
         or (last_used_at >= $2 and first_used_at < $3)) order by requested_at"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(tx.tenant())
        .bind(from)
        .bind(until)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(grant).collect()
}

/// A notice to send.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: Uuid,
    pub period: Option<chrono::NaiveDate>,
    pub grant_id: Option<Uuid>,
    pub disclosure_id: Option<Uuid>,
    pub kind: String,
    pub attempts: i32,
}

/// Notices due, oldest first, locked for this transaction.
pub async fn due_notices(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Notice>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, grant_id, disclosure_id, kind, period, attempts from processor.grant_notices \
         where tenant_id = $1 and sent_at is null and available_at <= $2 \
         order by created_at limit $3 for update skip locked",
    )
    .bind(tx.tenant())
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                id: r.try_get("id")?,
                grant_id: r.try_get("grant_id")?,
                period: r.try_get("period")?,
                disclosure_id: r.try_get("disclosure_id")?,
                kind: r.try_get("kind")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// A notice left.
pub async fn notice_sent(
    tx: &mut TenantTx,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update processor.grant_notices set sent_at = $3 where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A notice failed; try again later.
pub async fn notice_failed(
    tx: &mut TenantTx,
    id: Uuid,
    retry: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update processor.grant_notices set attempts = attempts + 1, available_at = $3, \
         last_error = left($4, 200) where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(retry)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
