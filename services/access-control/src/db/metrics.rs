//! Aggregate figures of the platform for SRE: counts only, never a row of any shop, and
//! nothing read from a shop's personal data (the role could not without a grant anyway).

use platform_tenancy::PlatformTx;
use sqlx::Row;

/// Counts by a label.
pub type Counts = Vec<(String, i64)>;

/// Shops by status.
pub async fn shops(tx: &mut PlatformTx) -> Result<Counts, sqlx::Error> {
    counts(
        tx,
        "select status as label, count(*) as n from tenants group by status order by status",
    )
    .await
}

/// Platform staff by role (enabled accounts).
pub async fn staff_roles(tx: &mut PlatformTx) -> Result<Counts, sqlx::Error> {
    counts(
        tx,
        "select r.role as label, count(*) as n from processor.staff_roles r \
         join processor.staff s on s.id = r.staff_id where s.disabled_at is null \
         group by r.role order by r.role",
    )
    .await
}

/// Open console sessions of platform staff.
pub async fn open_sessions(tx: &mut PlatformTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from processor.sessions where revoked_at is null \
         and last_seen_at > now() - interval '30 minutes'",
    )
    .fetch_one(&mut *tx)
    .await
}

async fn counts(tx: &mut PlatformTx, sql: &'static str) -> Result<Counts, sqlx::Error> {
    let rows = sqlx::query(sql).fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("label")?, r.try_get("n")?)))
        .collect()
}
