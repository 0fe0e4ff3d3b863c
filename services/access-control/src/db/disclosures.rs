//! The disclosure log (O24): what the platform was legally forced to hand over.

use chrono::{DateTime, Utc};
use platform_tenancy::{PlatformTx, TenantTx};
use sqlx::Row;
use uuid::Uuid;

/// A disclosure as stored.
#[derive(Debug, Clone)]
pub struct Disclosure {
    pub tenant_id: Uuid,
    pub shop: String,
    pub id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub authority: String,
    pub instrument: String,
    pub jurisdiction: String,
    pub classes: Vec<String>,
    pub subjects: String,
    pub gag_until: Option<DateTime<Utc>>,
    pub gag_order: Option<String>,
    pub notified_at: Option<DateTime<Utc>>,
}

const DISCLOSURE: &str = "select d.tenant_id, t.handle as shop, d.id, d.recorded_at, d.authority, \
     d.instrument, d.jurisdiction, d.classes, d.subjects, d.gag_until, d.gag_order, d.notified_at \
     from processor.disclosures d join tenants t on t.id = d.tenant_id";

fn disclosure(r: &sqlx::postgres::PgRow) -> Result<Disclosure, sqlx::Error> {
    Ok(Disclosure {
        tenant_id: r.try_get("tenant_id")?,
        shop: r.try_get("shop")?,
        id: r.try_get("id")?,
        recorded_at: r.try_get("recorded_at")?,
        authority: r.try_get("authority")?,
        instrument: r.try_get("instrument")?,
        jurisdiction: r.try_get("jurisdiction")?,
        classes: r.try_get("classes")?,
        subjects: r.try_get("subjects")?,
        gag_until: r.try_get("gag_until")?,
        gag_order: r.try_get("gag_order")?,
        notified_at: r.try_get("notified_at")?,
    })
}

/// What a record stores.
pub struct NewDisclosure<'a> {
    pub id: Uuid,
    pub recorded_by: Uuid,
    pub at: DateTime<Utc>,
    pub authority: &'a str,
    pub instrument: &'a str,
    pub jurisdiction: &'a str,
    pub classes: &'a [&'a str],
    pub subjects: &'a str,
    pub gag_until: Option<DateTime<Utc>>,
    pub gag_order: Option<&'a str>,
}

/// Records a disclosure on the transaction's shop.
pub async fn insert(tx: &mut TenantTx, d: NewDisclosure<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.disclosures (tenant_id, id, recorded_at, recorded_by, authority, \
         instrument, jurisdiction, classes, subjects, gag_until, gag_order) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(tx.tenant())
    .bind(d.id)
    .bind(d.at)
    .bind(d.recorded_by)
    .bind(d.authority)
    .bind(d.instrument)
    .bind(d.jurisdiction)
    .bind(d.classes)
    .bind(d.subjects)
    .bind(d.gag_until)
    .bind(d.gag_order)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Every disclosure across shops, newest first (security officers, through the
/// `operator_scope` policy).
pub async fn all(tx: &mut PlatformTx, limit: i64) -> Result<Vec<Disclosure>, sqlx::Error> {
    let sql = format!("{DISCLOSURE} order by d.recorded_at desc limit $1");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(disclosure).collect()
}

/// The shop's disclosures whose owners may now be told and were not yet (no order
/// forbids it any more): marked told in the same statement.
pub async fn due_for_owners(
    tx: &mut TenantTx,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update processor.disclosures set notified_at = $2 \
         where tenant_id = $1 and notified_at is null and (gag_until is null or gag_until <= now()) \
         returning id",
    )
    .bind(tx.tenant())
    .bind(at)
    .fetch_all(&mut *tx)
    .await
}

/// Queues the owners' mail about a disclosure.
pub async fn notify(
    tx: &mut TenantTx,
    disclosure: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.grant_notices (tenant_id, id, disclosure_id, kind, created_at, available_at) \
         values ($1, $2, $3, 'disclosure', $4, $4)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(disclosure)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
