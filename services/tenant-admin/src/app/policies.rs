//! The shop's versioned privacy policy (O20): one draft at a time, published versions
//! frozen, a future effective date announcing a change before it applies.

use chrono::{DateTime, Utc};
use platform_domain::{Invalid, PolicyId};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::app::domain::parse_prose;
use crate::db;
use crate::db::policies::PolicyVersion;
use crate::error::ApiError;

/// Every version, newest first.
pub async fn versions(state: &AppState, tenant: TenantId) -> Result<Vec<PolicyVersion>, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let versions = db::policies::list(&mut tx).await?;
    tx.commit().await?;
    Ok(versions)
}

/// Saves the draft's text, creating the draft as the next version if there is none.
pub async fn save_draft(
    state: &AppState,
    tenant: TenantId,
    body: &str,
) -> Result<PolicyVersion, ApiError> {
    let body = parse_prose(body, 1, 100_000, "policy.body_invalid", "The policy")?;
    let mut tx = state.db.begin(tenant).await?;
    let draft = match db::policies::update_draft(&mut tx, &body).await? {
        Some(d) => d,
        None => db::policies::insert_draft(&mut tx, &body).await?,
    };
    tx.commit().await?;
    Ok(draft)
}

/// A published version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Id.
    pub id: PolicyId,
    /// Version number.
    pub version: i32,
    /// When it takes effect.
    pub effective_at: DateTime<Utc>,
    /// For a material change: how many buyers are told.
    pub notified: Option<i64>,
}

/// Publishes the draft, effective at `effective_at` (default now; never in the past). A
/// material change (O20) takes effect at least the shop's notice days (14 or more) after
/// publication, and every buyer is told through the orders service before it is
/// published: if the orders service cannot queue the notices, nothing is published.
pub async fn publish(
    state: &AppState,
    tenant: TenantId,
    effective_at: Option<DateTime<Utc>>,
    material: bool,
) -> Result<Published, ApiError> {
    let now = state.clock.now();
    let effective_at = effective_at.unwrap_or(now);
    if effective_at < now - chrono::Duration::minutes(5) {
        return Err(Invalid::new(
            "policy.effective_in_past",
            "A policy cannot take effect in the past.",
        )
        .into());
    }
    let mut tx = state.db.begin(tenant).await?;
    if material {
        let days = db::policies::notice_days(&mut tx).await?;
        let earliest = now + chrono::Duration::days(i64::from(days));
        if effective_at < earliest {
            return Err(Invalid::new(
                "policy.notice_too_short",
                format!(
                    "A material change takes effect at least {days} days after it is published, so buyers can read it first: on {} or later.",
                    (earliest + chrono::Duration::days(1)).format("%Y-%m-%d")
                ),
            )
            .into());
        }
    }
    let (id, version) = db::policies::publish_draft(&mut tx, effective_at, now, material)
        .await?
        .ok_or_else(|| ApiError::conflict("policy.no_draft", "There is no draft to publish."))?;
    let notified = if material {
        let orders = state.orders.as_ref().ok_or(ApiError::OrdersAway(None))?;
        let queued = orders
            .policy_notices(tenant, &platform_orders_api::PolicyNotices { version })
            .await
            .map_err(crate::app::orders::failed)?;
        Some(queued.queued)
    } else {
        None
    };
    tx.commit().await?;
    Ok(Published {
        id,
        version,
        effective_at,
        notified,
    })
}

/// Sets how many days ahead material changes are announced (14 to 90).
pub async fn set_notice_days(
    state: &AppState,
    tenant: TenantId,
    days: i32,
) -> Result<(), ApiError> {
    if !(14..=90).contains(&days) {
        return Err(Invalid::new(
            "policy.notice_days_invalid",
            "Material changes are announced 14 to 90 days ahead.",
        )
        .into());
    }
    let mut tx = state.db.begin(tenant).await?;
    sqlx::query("update store_settings set policy_notice_days = $1, updated_at = now()")
        .bind(days)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// How many days ahead material changes are announced.
pub async fn notice_days(state: &AppState, tenant: TenantId) -> Result<i32, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let days = db::policies::notice_days(&mut tx).await?;
    tx.commit().await?;
    Ok(days)
}

/// Whether the shop sells to minors: its checkout then asks each buyer's age band and a
/// guardian's consent for children under 13 (O19).
pub async fn sells_to_minors(state: &AppState, tenant: TenantId) -> Result<bool, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let yes: Option<bool> = sqlx::query_scalar("select sells_to_minors from store_settings")
        .fetch_optional(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(yes.unwrap_or(false))
}

/// Turns the age question at checkout on or off.
pub async fn set_sells_to_minors(
    state: &AppState,
    tenant: TenantId,
    yes: bool,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    sqlx::query("update store_settings set sells_to_minors = $1, updated_at = now()")
        .bind(yes)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
