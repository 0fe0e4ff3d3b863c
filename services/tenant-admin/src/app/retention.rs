//! Retention by data class (O15): the shop chooses how long each class is kept within the
//! platform's floors and ceilings; a daily run (on the console's clock, injected in tests)
//! removes what is past its time, the orders service doing its own classes; owners can
//! preview a run (nothing changes) and read the report of every run.

use chrono::{DateTime, NaiveDate, Utc};
use platform_domain::{Permission, RetentionClass, StaffId};
use platform_orders_api::{RetentionCounts, RetentionRun};
use platform_tenancy::{TenantId, TenantTx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppState;
use crate::app::orders::require;
use crate::app::staff::Staff;
use crate::error::ApiError;

/// The store_settings column of each settable class.
fn column(class: RetentionClass) -> Option<&'static str> {
    match class {
        RetentionClass::AbandonedCarts => Some("cart_ttl_days"),
        RetentionClass::OrderDetails => Some("retention_order_details_days"),
        RetentionClass::BuyerIps => Some("retention_buyer_ip_days"),
        RetentionClass::StaffSessions => Some("retention_staff_session_days"),
        RetentionClass::ViewCounts => Some("retention_view_count_days"),
        RetentionClass::DeliveredMail => Some("retention_mail_days"),
        RetentionClass::RequestExports => None,
    }
}

/// The shop's days per class, in [`RetentionClass::ALL`] order.
pub async fn policy_in(tx: &mut TenantTx) -> Result<Vec<(RetentionClass, i32)>, ApiError> {
    let row: Option<(i32, i32, i32, i32, i32, i32)> = sqlx::query_as(
        "select cart_ttl_days, retention_order_details_days, retention_buyer_ip_days, \
                retention_staff_session_days, retention_view_count_days, retention_mail_days \
         from store_settings",
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(RetentionClass::ALL
        .iter()
        .map(|&class| {
            let days = match (row, class) {
                (Some(r), RetentionClass::AbandonedCarts) => r.0,
                (Some(r), RetentionClass::OrderDetails) => r.1,
                (Some(r), RetentionClass::BuyerIps) => r.2,
                (Some(r), RetentionClass::StaffSessions) => r.3,
                (Some(r), RetentionClass::ViewCounts) => r.4,
                (Some(r), RetentionClass::DeliveredMail) => r.5,
                _ => class.bounds().2,
            };
            (class, days)
        })
        .collect())
}

/// The shop's retention, for owners.
pub async fn policy(
    state: &AppState,
    staff: &Staff,
) -> Result<Vec<(RetentionClass, i32)>, ApiError> {
    require(staff, Permission::ManageShop)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let policy = policy_in(&mut tx).await?;
    tx.commit().await?;
    Ok(policy)
}

/// Sets the days of each class given, refusing any outside the platform's bounds.
pub async fn set_policy(
    state: &AppState,
    staff: &Staff,
    days: &[(RetentionClass, i32)],
) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    for &(class, value) in days {
        let Some(column) = column(class) else {
            continue;
        };
        let value = class.check(value)?;
        let sql = format!("update store_settings set {column} = $1, updated_at = now()");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .execute(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What one run removed (or would remove), per class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Orders' contact, delivery and card details (orders service).
    pub order_details: i64,
    /// Buyer IPs on orders (orders service).
    pub buyer_ips: i64,
    /// Records of sent mail (orders service).
    pub delivered_mail: i64,
    /// Expired data-subject exports (orders service).
    pub request_exports: i64,
    /// Ended staff sessions.
    pub staff_sessions: i64,
    /// Login attempts.
    pub login_attempts: i64,
    /// Daily view counts.
    pub view_counts: i64,
    /// Whole-shop exports whose link expired.
    #[serde(default)]
    pub shop_exports: i64,
    /// Whether the orders service's classes were reached (none: it was away).
    pub orders_reached: bool,
}

/// A run as the report lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    /// When.
    pub at: DateTime<Utc>,
    /// A preview.
    pub dry_run: bool,
    /// Who (none: the daily run).
    pub staff_id: Option<Uuid>,
    /// What.
    pub counts: sqlx::types::Json<Counts>,
}

async fn count_or_delete(
    tx: &mut TenantTx,
    table_and_condition: &str,
    dry_run: bool,
    cutoff: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let sql = if dry_run {
        format!("select count(*) from {table_and_condition}")
    } else {
        format!(
            "with gone as (delete from {table_and_condition} returning 1) select count(*) from gone"
        )
    };
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(cutoff)
        .fetch_one(&mut *tx)
        .await?)
}

/// Runs (or previews) the shop's retention as of `now`, and writes the report.
pub async fn run(
    state: &AppState,
    shop: TenantId,
    now: DateTime<Utc>,
    dry_run: bool,
    staff: Option<StaffId>,
) -> Result<Counts, ApiError> {
    let orders = match &state.orders {
        Some(client) => match client.retention(shop, &RetentionRun { now, dry_run }).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(tenant_id = %shop, error = &e as &dyn std::error::Error, "retention: orders unreachable");
                None
            }
        },
        None => None,
    };
    let RetentionCounts {
        order_details,
        buyer_ips,
        delivered_mail,
        request_exports,
    } = orders.unwrap_or_default();
    let mut tx = state.db.begin(shop).await?;
    let policy = policy_in(&mut tx).await?;
    let days = |class| {
        policy
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(class.bounds().2, |(_, d)| *d)
    };
    let before = |class| now - chrono::Duration::days(i64::from(days(class)));
    let sessions = before(RetentionClass::StaffSessions);
    let counts = Counts {
        order_details,
        buyer_ips,
        delivered_mail,
        request_exports,
        staff_sessions: count_or_delete(
            &mut tx,
            "staff_sessions where coalesce(revoked_at, last_seen_at) < $1",
            dry_run,
            sessions,
        )
        .await?,
        login_attempts: count_or_delete(&mut tx, "login_attempts where at < $1", dry_run, sessions)
            .await?,
        shop_exports: count_or_delete(&mut tx, "shop_exports where expires_at < $1", dry_run, now)
            .await?,
        view_counts: count_or_delete(
            &mut tx,
            "product_view_counts where day < ($1 at time zone 'UTC')::date",
            dry_run,
            before(RetentionClass::ViewCounts),
        )
        .await?,
        orders_reached: orders.is_some(),
    };
    sqlx::query(
        "insert into retention_runs (tenant_id, id, at, dry_run, staff_id, counts) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(shop)
    .bind(Uuid::new_v4())
    .bind(now)
    .bind(dry_run)
    .bind(staff.map(|s| s.as_uuid()))
    .bind(sqlx::types::Json(&counts))
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(counts)
}

/// A preview by an owner: what a run would remove now.
pub async fn preview(state: &AppState, staff: &Staff) -> Result<Counts, ApiError> {
    require(staff, Permission::ManageShop)?;
    run(
        state,
        staff.tenant,
        state.clock.now(),
        true,
        Some(staff.staff_id),
    )
    .await
}

/// The newest runs and previews.
pub async fn runs(state: &AppState, staff: &Staff) -> Result<Vec<Run>, ApiError> {
    require(staff, Permission::ManageShop)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let runs = sqlx::query_as(
        "select at, dry_run, staff_id, counts from retention_runs order by at desc limit 20",
    )
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(runs)
}

/// The daily run of `shop`, unless it ran today (by the console's clock).
pub async fn daily(state: &AppState, shop: TenantId) -> Result<Option<Counts>, ApiError> {
    let now = state.clock.now();
    let today: NaiveDate = now.date_naive();
    let mut tx = state.db.begin(shop).await?;
    let ran: bool = sqlx::query_scalar(
        "select exists (select 1 from retention_runs where not dry_run \
             and (at at time zone 'UTC')::date = $1)",
    )
    .bind(today)
    .fetch_one(&mut tx)
    .await?;
    tx.commit().await?;
    if ran {
        return Ok(None);
    }
    let counts = run(state, shop, now, false, None).await?;
    tracing::info!(tenant_id = %shop, ?counts, "daily retention run");
    Ok(Some(counts))
}
