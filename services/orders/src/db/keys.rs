//! The shop's signing keys for the payment processor.

use chrono::{DateTime, Utc};
use platform_tenancy::TenantTx;

/// A signing key's row.
#[derive(Debug, sqlx::FromRow)]
pub struct KeyRow {
    /// Its id.
    pub key_id: String,
    /// Public half, base64url.
    pub public_key: String,
    /// The seed, sealed under the shop's data key.
    pub seed_sealed: Vec<u8>,
    /// `signing`, `retiring`, `retired` or `revoked`.
    pub state: String,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Last confirmed by the processor in this state.
    pub published_at: Option<DateTime<Utc>>,
    /// End of a retiring key's overlap.
    pub retire_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "key_id, public_key, seed_sealed, state, created_at, published_at, retire_at, revoked_at";

/// Every key of the shop, newest first, locking them when `lock` (key changes queue).
pub async fn all(tx: &mut TenantTx, lock: bool) -> Result<Vec<KeyRow>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from signing_keys order by created_at desc, key_id{}",
        if lock { " for update" } else { "" }
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await
}

/// The key that signs now.
pub async fn signing(tx: &mut TenantTx) -> Result<Option<KeyRow>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from signing_keys where state = 'signing'");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_optional(&mut *tx)
        .await
}

/// Stores a new signing key, unless another one signs already (two first uses racing:
/// the first one wins, the second finds it).
pub async fn insert(
    tx: &mut TenantTx,
    key_id: &str,
    public_key: &str,
    seed_sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into signing_keys (tenant_id, key_id, public_key, seed_sealed, state) \
         values ($1, $2, $3, $4, 'signing') \
         on conflict (tenant_id) where state = 'signing' do nothing",
    )
    .bind(tx.tenant())
    .bind(key_id)
    .bind(public_key)
    .bind(seed_sealed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Moves the signing key to `retiring`, accepted until `overlap_secs` from now.
pub async fn retire_signing(tx: &mut TenantTx, overlap_secs: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update signing_keys set state = 'retiring', published_at = null, \
         retire_at = now() + make_interval(secs => $1) where state = 'signing'",
    )
    .bind(overlap_secs as f64)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Revokes a signing or retiring key; false when there is no such live key.
pub async fn revoke(tx: &mut TenantTx, key_id: &str, actor: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update signing_keys set state = 'revoked', revoked_at = now(), revoked_by = $2, \
         retire_at = null, published_at = null \
         where key_id = $1 and state in ('signing', 'retiring')",
    )
    .bind(key_id)
    .bind(actor)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Retiring keys whose overlap ended become `retired` (left out of the key set).
pub async fn retire_lapsed(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update signing_keys set state = 'retired', published_at = null \
         where state = 'retiring' and retire_at <= now()",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Whether some key's state has not been confirmed by the processor yet.
pub async fn unpublished(tx: &mut TenantTx) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from signing_keys where published_at is null)")
        .fetch_one(&mut *tx)
        .await
}

/// Records that the processor accepted the key set holding `key_ids` as they were.
pub async fn mark_published(
    tx: &mut TenantTx,
    key_ids: &[String],
    states: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update signing_keys k set published_at = now() \
         from unnest($1::text[], $2::text[]) as p(key_id, state) \
         where k.key_id = p.key_id and k.state = p.state",
    )
    .bind(key_ids)
    .bind(states)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
