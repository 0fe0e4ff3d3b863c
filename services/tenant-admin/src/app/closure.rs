//! Closing the shop (GDPR Art. 28(3)(g)): an owner who made a full export in the last
//! 3 days asks, with password and code again and the shop's handle typed out, to close it
//! after a grace period (14 days or more). Until then the shop serves, takes no new order,
//! every member sees the date, and any owner can cancel. When the day comes the backup
//! worker deletes every row and key of the shop and mails the owner a signed deletion
//! certificate. Asking and cancelling are audit events.

use chrono::{DateTime, Duration, Utc};
use platform_domain::{Invalid, Permission};
use uuid::Uuid;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::require;
use crate::app::staff::{Staff, require_fresh};
use crate::db;
use crate::error::ApiError;

/// The shortest grace period, and the default.
pub const MIN_GRACE_DAYS: i64 = 14;
/// The longest an owner may choose.
pub const MAX_GRACE_DAYS: i64 = 90;

/// A closure that is scheduled.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scheduled {
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When the shop's data is deleted.
    pub close_at: DateTime<Utc>,
}

/// The export a closure can rely on: the newest whose link still works.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UsableExport {
    /// SHA-256 of the ZIP.
    pub sha256: Vec<u8>,
    /// When it was made.
    pub made_at: DateTime<Utc>,
}

/// Where closing stands for the page.
#[derive(Debug, Clone)]
pub struct Standing {
    /// The shop's handle (typed to confirm).
    pub handle: String,
    /// A scheduled closure.
    pub scheduled: Option<Scheduled>,
    /// The export a request would name.
    pub export: Option<UsableExport>,
}

/// What an owner asks.
#[derive(Debug, Clone)]
pub struct CloseInput {
    /// Days of grace, `MIN_GRACE_DAYS..=MAX_GRACE_DAYS`.
    pub grace_days: i64,
    /// The shop's handle, typed out.
    pub confirm: String,
}

/// Where closing stands (owners only).
pub async fn standing(state: &AppState, staff: &Staff) -> Result<Standing, ApiError> {
    require(staff, Permission::ManageShop)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(staff.tenant).await?;
    let handle = db::shops::get(&mut tx).await?.handle;
    let scheduled: Option<Scheduled> = sqlx::query_as(
        "select requested_at, close_at from ledger.shop_closures \
         where cancelled_at is null and closed_at is null",
    )
    .fetch_optional(&mut tx)
    .await?;
    let export: Option<UsableExport> = sqlx::query_as(
        "select sha256, created_at as made_at from shop_exports where expires_at > $1 \
         order by created_at desc limit 1",
    )
    .bind(now)
    .fetch_optional(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Standing {
        handle,
        scheduled,
        export,
    })
}

/// Schedules the closure; returns when it takes effect.
pub async fn request(
    state: &AppState,
    staff: &Staff,
    input: &CloseInput,
) -> Result<DateTime<Utc>, ApiError> {
    let standing = standing(state, staff).await?;
    if !(MIN_GRACE_DAYS..=MAX_GRACE_DAYS).contains(&input.grace_days) {
        return Err(Invalid::new(
            "closure.grace_out_of_range",
            format!("The grace period is {MIN_GRACE_DAYS} to {MAX_GRACE_DAYS} days."),
        )
        .into());
    }
    if input.confirm.trim() != standing.handle {
        return Err(Invalid::new(
            "closure.confirmation_mismatch",
            format!("Type the shop's handle, {}, to confirm.", standing.handle),
        )
        .into());
    }
    if standing.scheduled.is_some() {
        return Err(already_scheduled());
    }
    let Some(export) = standing.export else {
        return Err(ApiError::Conflict {
            code: "closure.export_required",
            message: "Make a full export of the shop first: closing deletes everything.".into(),
        });
    };
    require_fresh(state, staff)?;
    let now = state.clock.now();
    let close_at = now + Duration::days(input.grace_days);
    let mut tx = state.db.begin(staff.tenant).await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "insert into ledger.shop_closures (tenant_id, id, requested_by, requested_at, close_at, \
         export_sha256, export_made_at) values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (tenant_id) where cancelled_at is null do nothing",
    )
    .bind(staff.tenant)
    .bind(id)
    .bind(staff.staff_id)
    .bind(now)
    .bind(close_at)
    .bind(&export.sha256)
    .bind(export.made_at)
    .execute(&mut tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(already_scheduled());
    }
    sqlx::query("update tenants set closes_at = $2 where id = $1")
        .bind(staff.tenant)
        .bind(close_at)
        .execute(&mut tx)
        .await?;
    record(
        state,
        &mut tx,
        staff,
        "shop.close_requested",
        id,
        "closing the shop",
    )
    .await?;
    tx.commit().await?;
    Ok(close_at)
}

/// Cancels a scheduled closure (any owner; no fresh password needed to keep the shop).
pub async fn cancel(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(staff.tenant).await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "update ledger.shop_closures set cancelled_at = $1, cancelled_by = $2 \
         where cancelled_at is null and closed_at is null returning id",
    )
    .bind(now)
    .bind(staff.staff_id)
    .fetch_optional(&mut tx)
    .await?;
    let Some(id) = id else {
        return Err(ApiError::Conflict {
            code: "closure.not_scheduled",
            message: "The shop is not closing.".into(),
        });
    };
    sqlx::query("update tenants set closes_at = null where id = $1")
        .bind(staff.tenant)
        .execute(&mut tx)
        .await?;
    record(
        state,
        &mut tx,
        staff,
        "shop.close_cancelled",
        id,
        "keeping the shop",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn already_scheduled() -> ApiError {
    ApiError::Conflict {
        code: "closure.already_scheduled",
        message: "The shop is already closing.".into(),
    }
}

/// The audit event of a closure's request or cancellation (it shows no personal data).
async fn record(
    state: &AppState,
    tx: &mut platform_tenancy::TenantTx,
    staff: &Staff,
    action: &str,
    closure: Uuid,
    purpose: &str,
) -> Result<(), ApiError> {
    audit::record(
        state,
        tx,
        staff,
        Entry {
            action,
            objects: vec![format!("closure:{closure}")],
            classes: vec![],
            purpose,
        },
    )
    .await
}
