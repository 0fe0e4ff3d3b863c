//! The mail outbox: rows due for sending, and what a message needs to be written.

use chrono::{DateTime, Utc};
use platform_domain::{Currency, OrderId};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// A row due for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// The row.
    pub id: Uuid,
    /// What to send.
    pub kind: String,
    /// About which order (order mail).
    pub order_id: Option<OrderId>,
    /// About which request (request mail).
    pub request_id: Option<platform_domain::RequestId>,
    /// About which subscription (consent mail, newsletters, notices to subscribers).
    pub subscription_id: Option<platform_domain::SubscriptionId>,
    /// About which guardian's consent (O19).
    pub guardian_consent_id: Option<uuid::Uuid>,
    /// Which newsletter (a newsletter's copy).
    pub newsletter_id: Option<platform_domain::NewsletterId>,
    /// Which privacy policy version (a policy notice).
    pub policy_version: Option<i32>,
    /// Tries so far.
    pub attempts: i32,
}

/// Up to `limit` rows due now, locked until the transaction ends (a second sender skips
/// them, so no row is sent twice at the same time).
pub async fn due(tx: &mut TenantTx, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, order_id, request_id, subscription_id, guardian_consent_id, \
                newsletter_id, policy_version, attempts from outbox \
         where sent_at is null and available_at <= now() \
         order by available_at limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Marks a row sent (with a note when there was nobody to send it to).
pub async fn sent(tx: &mut TenantTx, id: Uuid, note: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("update outbox set sent_at = now(), last_error = $2 where id = $1")
        .bind(id)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records a failed try and when to try again.
pub async fn failed(
    tx: &mut TenantTx,
    id: Uuid,
    retry_in_secs: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update outbox set attempts = attempts + 1, \
             available_at = now() + make_interval(secs => $2), last_error = $3 \
         where id = $1",
    )
    .bind(id)
    .bind(retry_in_secs as f64)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What the merchant's new-order notice says: no personal data of the buyer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlacedNotice {
    /// The shop's name.
    pub shop_name: String,
    /// The shop's contact address (empty: nobody to tell).
    pub contact_email: String,
    /// The order's number as shown.
    pub reference: String,
    /// Items.
    pub item_count: i64,
    /// Total.
    pub total_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

/// The notice of a new order, if the order still exists.
pub async fn placed_notice(
    tx: &mut TenantTx,
    order: OrderId,
) -> Result<Option<PlacedNotice>, sqlx::Error> {
    sqlx::query_as(
        "select t.display_name as shop_name, s.contact_email, o.reference, \
                (select coalesce(sum(l.quantity), 0)::bigint from order_lines l where l.order_id = o.id) \
                    as item_count, \
                o.total_minor, o.currency, o.created_at \
         from orders o join tenants t on t.id = o.tenant_id \
              join store_settings s on s.tenant_id = o.tenant_id \
         where o.id = $1",
    )
    .bind(order)
    .fetch_optional(&mut *tx)
    .await
}

/// The shop's display name (the transaction's tenant).
pub async fn shop_name(tx: &mut TenantTx) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("select display_name from tenants where id = $1")
        .bind(tx.tenant())
        .fetch_one(&mut *tx)
        .await
}

/// Queues one notice of policy `version` per buyer (their newest order with an email),
/// once; returns how many were queued.
pub async fn enqueue_policy_notices(tx: &mut TenantTx, version: i32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "insert into outbox (tenant_id, id, kind, order_id, policy_version) \
         select $1, gen_random_uuid(), 'policy_notice', b.id, $2 \
         from (select distinct on (email_index) id from orders \
               where email_index is not null and erased_at is null \
               order by email_index, created_at desc) b \
         on conflict (tenant_id, order_id, policy_version) where policy_version is not null \
         do nothing",
    )
    .bind(tx.tenant())
    .bind(version)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// When published policy `version` takes effect (none: not published).
pub async fn policy_effective_at(
    tx: &mut TenantTx,
    version: i32,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "select effective_at from privacy_policies where version = $1 and status = 'published'",
    )
    .bind(version)
    .fetch_optional(&mut *tx)
    .await
    .map(Option::flatten)
}
