//! Idempotency keys in Postgres (see the `idempotency_keys` table for the protocol).

use platform_tenancy::TenantTx;
use uuid::Uuid;

use crate::app::idempotency::{IdempotencyKey, KEEP_HOURS, LEASE_SECS};

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is ours now (new, expired, or taken over from a request that died).
    Ours,
    /// The key finished before: answer this again.
    Replay {
        /// The first answer's status.
        status: u16,
        /// The first answer's body.
        body: serde_json::Value,
    },
    /// Another request with this key is running.
    InFlight,
    /// The key was used with a different body.
    Mismatch,
}

/// Claims `key` for a request with fingerprint `hash` under `lease`. Run in a
/// transaction of its own and commit at once, so that a concurrent request with the same
/// key sees it in flight.
pub async fn claim(
    tx: &mut TenantTx,
    key: &IdempotencyKey,
    hash: &[u8; 32],
    lease: Uuid,
) -> Result<Claim, sqlx::Error> {
    let tenant = tx.tenant();
    let ours: Option<bool> = sqlx::query_scalar(
        "insert into idempotency_keys \
             (tenant_id, key, request_hash, state, lease, lease_until, expires_at) \
         values ($1, $2, $3, 'in_flight', $4, now() + make_interval(secs => $5), \
                 now() + make_interval(hours => $6)) \
         on conflict (tenant_id, key) do update \
             set request_hash = excluded.request_hash, state = 'in_flight', \
                 lease = excluded.lease, lease_until = excluded.lease_until, \
                 response_status = null, response_body = null, \
                 created_at = now(), expires_at = excluded.expires_at \
             where idempotency_keys.expires_at < now() \
                or (idempotency_keys.state = 'in_flight' \
                    and idempotency_keys.lease_until < now() \
                    and idempotency_keys.request_hash = excluded.request_hash) \
         returning true",
    )
    .bind(tenant)
    .bind(key.as_str())
    .bind(&hash[..])
    .bind(lease)
    .bind(f64::from(LEASE_SECS))
    .bind(KEEP_HOURS)
    .fetch_optional(&mut *tx)
    .await?;
    if ours.is_some() {
        return Ok(Claim::Ours);
    }
    let (stored_hash, state, status, body): (
        Vec<u8>,
        String,
        Option<i16>,
        Option<serde_json::Value>,
    ) = sqlx::query_as(
        "select request_hash, state, response_status, response_body \
             from idempotency_keys where key = $1",
    )
    .bind(key.as_str())
    .fetch_one(&mut *tx)
    .await?;
    Ok(if stored_hash != hash[..] {
        Claim::Mismatch
    } else {
        match (state.as_str(), status, body) {
            ("done", Some(status), Some(body)) => Claim::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
            _ => Claim::InFlight,
        }
    })
}

/// Records the answer of the request holding `lease`, in the transaction that did its
/// work. False when the lease was lost (taken over): the caller must roll back.
pub async fn finish(
    tx: &mut TenantTx,
    key: &IdempotencyKey,
    lease: Uuid,
    status: u16,
    body: &serde_json::Value,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update idempotency_keys \
         set state = 'done', response_status = $3, response_body = $4 \
         where key = $1 and lease = $2 and state = 'in_flight'",
    )
    .bind(key.as_str())
    .bind(lease)
    .bind(i16::try_from(status).unwrap_or(500))
    .bind(body)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the key up after a request that changed nothing failed, so that a retry with the
/// same key runs again.
pub async fn release(
    tx: &mut TenantTx,
    key: &IdempotencyKey,
    lease: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from idempotency_keys where key = $1 and lease = $2 and state = 'in_flight'",
    )
    .bind(key.as_str())
    .bind(lease)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The answer a finished key keeps, if any (expired keys have none).
pub async fn answer(
    tx: &mut TenantTx,
    key: &IdempotencyKey,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select response_body from idempotency_keys \
         where key = $1 and state = 'done' and expires_at >= now()",
    )
    .bind(key.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map(Option::flatten)
}

/// Deletes keys kept past their time; returns how many.
pub async fn purge_expired(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from idempotency_keys where expires_at < now()")
            .execute(&mut *tx)
            .await?
            .rows_affected(),
    )
}
