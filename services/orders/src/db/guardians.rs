//! Guardians' consents for children's orders (O19): the child's handle and the
//! guardian's link token are kept as SHA-256 only; the guardian's address sealed.

use chrono::{DateTime, Utc};
use platform_domain::GuardianStatus;
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// A consent as the sender and the checks read it.
#[derive(Debug, sqlx::FromRow)]
pub struct ConsentRow {
    /// Its id.
    pub id: Uuid,
    /// Its status as stored.
    pub status: GuardianStatus,
    /// The link's token, sealed, until mailed.
    pub token_sealed: Option<Vec<u8>>,
    /// The guardian's address, sealed.
    pub guardian_email_sealed: Option<Vec<u8>>,
    /// Until when it can be decided and used.
    pub expires_at: DateTime<Utc>,
    /// When the guardian decided.
    pub decided_at: Option<DateTime<Utc>>,
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "select id, status, token_sealed, guardian_email_sealed, expires_at, \
                decided_at from guardian_consents ",
            $rest
        )
    };
}

/// A new consent's row.
pub struct NewConsent<'a> {
    /// Its id.
    pub id: Uuid,
    /// The guardian as a data subject.
    pub subject_id: Uuid,
    /// SHA-256 of the child's handle.
    pub handle_hash: &'a [u8],
    /// SHA-256 of the link's token, and the token sealed.
    pub token: (&'a [u8], &'a [u8]),
    /// The guardian's address, sealed.
    pub guardian_email_sealed: &'a [u8],
    /// The privacy policy version shown.
    pub policy_version: Option<i32>,
}

/// Inserts a pending consent, and its mail to the guardian.
pub async fn insert(tx: &mut TenantTx, c: &NewConsent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into guardian_consents (tenant_id, id, subject_id, handle_hash, token_hash, \
             token_sealed, guardian_email_sealed, policy_version, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(days => $9))",
    )
    .bind(tx.tenant())
    .bind(c.id)
    .bind(c.subject_id)
    .bind(c.handle_hash)
    .bind(c.token.0)
    .bind(c.token.1)
    .bind(c.guardian_email_sealed)
    .bind(c.policy_version)
    .bind(platform_domain::GUARDIAN_LINK_DAYS as i32)
    .execute(&mut *tx)
    .await?;
    enqueue(tx, c.id, "guardian_consent").await
}

/// Queues a mail to the guardian.
pub async fn enqueue(tx: &mut TenantTx, consent: Uuid, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, guardian_consent_id) values ($1, $2, $3, $4)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(consent)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The consent behind a child's handle, locked.
pub async fn by_handle(tx: &mut TenantTx, hash: &[u8]) -> Result<Option<ConsentRow>, sqlx::Error> {
    sqlx::query_as(select!("where handle_hash = $1 for update"))
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await
}

/// The consent behind a guardian's link, locked.
pub async fn by_token(tx: &mut TenantTx, hash: &[u8]) -> Result<Option<ConsentRow>, sqlx::Error> {
    sqlx::query_as(select!("where token_hash = $1 for update"))
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await
}

/// A consent by id, locked (the sender's view).
pub async fn find(tx: &mut TenantTx, id: Uuid) -> Result<Option<ConsentRow>, sqlx::Error> {
    sqlx::query_as(select!("where id = $1 for update"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Records the guardian's decision.
pub async fn decide(tx: &mut TenantTx, id: Uuid, consent: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update guardian_consents set status = $2, decided_at = now() where id = $1")
        .bind(id)
        .bind(if consent { "consented" } else { "refused" })
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Marks a consent used by an order.
pub async fn use_for_order(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update guardian_consents set status = 'used', used_at = now() where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Forgets the link's token once its mail left.
pub async fn token_mailed(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update guardian_consents set token_sealed = null where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Deletes consents that were never used and expired; returns their subjects.
pub async fn purge_expired(tx: &mut TenantTx) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from guardian_consents where status <> 'used' and expires_at < now() \
         returning subject_id",
    )
    .fetch_all(&mut *tx)
    .await
}

/// The guardians' subjects of these orders' consents (erased with the child).
pub async fn subjects_of_orders(
    tx: &mut TenantTx,
    orders: &[platform_domain::OrderId],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select g.subject_id from guardian_consents g join orders o on o.guardian_consent_id = g.id \
         where o.id = any($1)",
    )
    .bind(orders.iter().map(platform_domain::OrderId::as_uuid).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await
}
