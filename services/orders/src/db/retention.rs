//! Retention of the orders service's classes (O15): the shop's days, and the rows past
//! them, counted (a preview) or removed, as of a given moment.

use chrono::{DateTime, Utc};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// The shop's retention days for the orders service's classes.
#[derive(sqlx::FromRow)]
pub struct RetentionPolicy {
    /// Contact, delivery and card details after delivery or cancellation.
    pub order_details_days: i32,
    /// Buyer IPs after the order.
    pub buyer_ip_days: i32,
    /// Records of sent mail.
    pub mail_days: i32,
}

/// The shop's retention (the platform's defaults without a settings row).
pub async fn retention_policy(tx: &mut TenantTx) -> Result<RetentionPolicy, sqlx::Error> {
    Ok(sqlx::query_as(
        "select retention_order_details_days as order_details_days, \
                retention_buyer_ip_days as buyer_ip_days, retention_mail_days as mail_days \
         from store_settings",
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(RetentionPolicy {
        order_details_days: 730,
        buyer_ip_days: 90,
        mail_days: 90,
    }))
}

/// Buyers (subjects) of orders delivered or cancelled more than `days` before `now`
/// whose details are still there.
pub async fn stale_order_subjects(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select subject_id from orders \
         where erased_at is null \
           and ((status = 'delivered' and delivered_at < $1 - make_interval(days => $2)) \
             or (status = 'cancelled' and updated_at < $1 - make_interval(days => $2)))",
    )
    .bind(now)
    .bind(days)
    .fetch_all(&mut *tx)
    .await
}

/// Buyer IPs on orders older than `days`: counted, or removed.
pub async fn old_ips(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let sql = if dry_run {
        "select count(*) from orders where buyer_ip is not null \
           and created_at < $1 - make_interval(days => $2)"
    } else {
        "with gone as (update orders set buyer_ip = null where buyer_ip is not null \
           and created_at < $1 - make_interval(days => $2) returning 1) \
         select count(*) from gone"
    };
    sqlx::query_scalar(sql)
        .bind(now)
        .bind(days)
        .fetch_one(&mut *tx)
        .await
}

/// Rows of `from_where` (a table and a condition on `$1`, the moment, and `$2`, days):
/// counted, or deleted.
async fn delete_or_count(
    tx: &mut TenantTx,
    from_where: &'static str,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let sql = if dry_run {
        format!("select count(*) from {from_where}")
    } else {
        format!("with gone as (delete from {from_where} returning 1) select count(*) from gone")
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(days)
        .fetch_one(&mut *tx)
        .await
}

/// Records of mail sent more than `days` before `now`: counted, or deleted.
pub async fn old_mail(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let outbox = "outbox where sent_at < $1 - make_interval(days => $2)";
    delete_or_count(tx, outbox, now, days, dry_run).await
}

/// Exports whose link expired by `now`: counted, or deleted.
pub async fn expired_exports(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let exports = "privacy_exports where expires_at < $1 - make_interval(days => $2)";
    delete_or_count(tx, exports, now, 0, dry_run).await
}
