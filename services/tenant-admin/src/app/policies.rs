//! The shop's versioned privacy policy (O20): one draft at a time, published versions
//! frozen, a future effective date announcing a change before it applies.

use chrono::{DateTime, Utc};
use platform_domain::{Invalid, PolicyId};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::app::domain::parse_text;
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
    let body = parse_text(body, 1, 100_000, "policy.body_invalid", "The policy")?;
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
}

/// Publishes the draft, effective at `effective_at` (default now; never in the past).
pub async fn publish(
    state: &AppState,
    tenant: TenantId,
    effective_at: Option<DateTime<Utc>>,
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
    let (id, version) = db::policies::publish_draft(&mut tx, effective_at, now)
        .await?
        .ok_or_else(|| ApiError::conflict("policy.no_draft", "There is no draft to publish."))?;
    tx.commit().await?;
    Ok(Published {
        id,
        version,
        effective_at,
    })
}
