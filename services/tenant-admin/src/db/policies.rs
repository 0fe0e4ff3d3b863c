//! Versions of the shop's privacy policy. Published versions are immutable (a trigger
//! says so in the database).

use chrono::{DateTime, Utc};
use platform_domain::{PolicyId, PolicyStatus};
use platform_tenancy::TenantTx;
use serde::Serialize;

/// A version of the policy.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PolicyVersion {
    /// Id.
    pub id: PolicyId,
    /// 1, 2, … per shop.
    pub version: i32,
    /// The text (plain text, paragraphs separated by blank lines).
    pub body: String,
    /// Draft or published.
    pub status: PolicyStatus,
    /// When a published version takes effect.
    pub effective_at: Option<DateTime<Utc>>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
}

/// Every version, newest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<PolicyVersion>, sqlx::Error> {
    sqlx::query_as(
        "select id, version, body, status, effective_at, published_at from privacy_policies \
         where tenant_id = $1 order by version desc",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await
}

/// Replaces the draft's text; `None` when there is no draft.
pub async fn update_draft(
    tx: &mut TenantTx,
    body: &str,
) -> Result<Option<PolicyVersion>, sqlx::Error> {
    sqlx::query_as(
        "update privacy_policies set body = $2 where tenant_id = $1 and status = 'draft' \
         returning id, version, body, status, effective_at, published_at",
    )
    .bind(tx.tenant())
    .bind(body)
    .fetch_optional(&mut *tx)
    .await
}

/// Creates a draft as the next version.
pub async fn insert_draft(tx: &mut TenantTx, body: &str) -> Result<PolicyVersion, sqlx::Error> {
    sqlx::query_as(
        "insert into privacy_policies (tenant_id, id, version, body) \
         select $1, $2, coalesce(max(version), 0) + 1, $3 from privacy_policies where tenant_id = $1 \
         returning id, version, body, status, effective_at, published_at",
    )
    .bind(tx.tenant())
    .bind(PolicyId::random())
    .bind(body)
    .fetch_one(&mut *tx)
    .await
}

/// Publishes the draft to take effect at `effective_at`; its id and version, or `None`
/// when there is no draft.
pub async fn publish_draft(
    tx: &mut TenantTx,
    effective_at: DateTime<Utc>,
    now: DateTime<Utc>,
    material: bool,
) -> Result<Option<(PolicyId, i32)>, sqlx::Error> {
    sqlx::query_as(
        "update privacy_policies set status = 'published', effective_at = $2, published_at = $3, \
             material = $4 \
         where tenant_id = $1 and status = 'draft' returning id, version",
    )
    .bind(tx.tenant())
    .bind(effective_at)
    .bind(now)
    .bind(material)
    .fetch_optional(&mut *tx)
    .await
}

/// Days a material change is announced before it takes effect (at least 14).
pub async fn notice_days(tx: &mut TenantTx) -> Result<i32, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i32>("select policy_notice_days from store_settings")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(14),
    )
}
