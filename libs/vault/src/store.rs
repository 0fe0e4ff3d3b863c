//! SQL over `keys.tenant_keys` and `keys.subject_keys`, always through a tenant-scoped
//! transaction (row-level security keeps each tenant to its own keys).

use platform_tenancy::{TenantId, TenantTx};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::{DataKey, KeyEncryptionKey, KeyKind, VaultError, WrappedKey};

/// What a tenant key is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    Data,
    BlindIndex,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Data => "data",
            Purpose::BlindIndex => "blind_index",
        }
    }
}

/// A live key row.
pub(crate) struct KeyRow {
    pub key_id: Uuid,
    pub version: i32,
    pub wrapped: WrappedKey,
}

/// The associated data binding a wrapped key to its tenant, kind and id.
pub(crate) fn wrap_aad(tenant: TenantId, kind: KeyKind, key_id: Uuid) -> Vec<u8> {
    let mut aad = b"platform-vault/wrap/v1".to_vec();
    aad.extend_from_slice(tenant.as_uuid().as_bytes());
    aad.push(match kind {
        KeyKind::Tenant => 1,
        KeyKind::Subject => 2,
    });
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

fn key_row(row: &PgRow) -> Result<Option<KeyRow>, VaultError> {
    let wrapped: Option<Vec<u8>> = row.try_get("wrapped")?;
    let Some(bytes) = wrapped else {
        return Ok(None); // destroyed: a tombstone
    };
    Ok(Some(KeyRow {
        key_id: row.try_get("key_id")?,
        version: row.try_get("version")?,
        wrapped: WrappedKey {
            kek_id: row.try_get("kek_id")?,
            kek_version: row.try_get("kek_version")?,
            bytes,
        },
    }))
}

/// A key row by id: `Ok(None)` when unknown, `Err(KeyDestroyed)` for a tombstone.
fn by_id(row: Option<PgRow>) -> Result<Option<KeyRow>, VaultError> {
    match row {
        None => Ok(None),
        Some(row) => key_row(&row)?.map(Some).ok_or(VaultError::KeyDestroyed),
    }
}

pub(crate) async fn tenant_key_by_id(
    tx: &mut TenantTx,
    key_id: Uuid,
) -> Result<Option<KeyRow>, VaultError> {
    let row = sqlx::query(
        "select key_id, version, wrapped, kek_id, kek_version from keys.tenant_keys \
         where tenant_id = $1 and key_id = $2",
    )
    .bind(tx.tenant())
    .bind(key_id)
    .fetch_optional(&mut *tx)
    .await?;
    by_id(row)
}

pub(crate) async fn subject_key_by_id(
    tx: &mut TenantTx,
    key_id: Uuid,
) -> Result<Option<KeyRow>, VaultError> {
    let row = sqlx::query(
        "select key_id, version, wrapped, kek_id, kek_version from keys.subject_keys \
         where tenant_id = $1 and key_id = $2",
    )
    .bind(tx.tenant())
    .bind(key_id)
    .fetch_optional(&mut *tx)
    .await?;
    by_id(row)
}

/// The tenant's live key for `purpose`, created (and wrapped) on first use. Concurrent
/// creators race on the partial unique index; the loser reads the winner's key.
pub(crate) async fn live_tenant_key(
    tx: &mut TenantTx,
    kek: &dyn KeyEncryptionKey,
    purpose: Purpose,
) -> Result<KeyRow, VaultError> {
    for _ in 0..3 {
        let row = sqlx::query(
            "select key_id, version, wrapped, kek_id, kek_version from keys.tenant_keys \
             where tenant_id = $1 and purpose = $2 and destroyed_at is null",
        )
        .bind(tx.tenant())
        .bind(purpose.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row.as_ref().map(key_row).transpose()?.flatten() {
            return Ok(row);
        }
        let key_id = Uuid::new_v4();
        let wrapped = kek
            .wrap(
                &DataKey::generate(),
                &wrap_aad(tx.tenant(), KeyKind::Tenant, key_id),
            )
            .await?;
        sqlx::query(
            "insert into keys.tenant_keys \
                 (tenant_id, key_id, purpose, version, wrapped, kek_id, kek_version) \
             select $1, $2, $3, coalesce(max(version), 0) + 1, $4, $5, $6 \
             from keys.tenant_keys where tenant_id = $1 and purpose = $3 \
             on conflict do nothing",
        )
        .bind(tx.tenant())
        .bind(key_id)
        .bind(purpose.as_str())
        .bind(&wrapped.bytes)
        .bind(&wrapped.kek_id)
        .bind(wrapped.kek_version)
        .execute(&mut *tx)
        .await?;
    }
    Err(VaultError::UnknownKey)
}

/// The subject's live key, created on first use (a new version after a shredding).
pub(crate) async fn live_subject_key(
    tx: &mut TenantTx,
    kek: &dyn KeyEncryptionKey,
    subject: Uuid,
) -> Result<KeyRow, VaultError> {
    for _ in 0..3 {
        let row = sqlx::query(
            "select key_id, version, wrapped, kek_id, kek_version from keys.subject_keys \
             where tenant_id = $1 and subject_id = $2 and destroyed_at is null",
        )
        .bind(tx.tenant())
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row.as_ref().map(key_row).transpose()?.flatten() {
            return Ok(row);
        }
        let key_id = Uuid::new_v4();
        let wrapped = kek
            .wrap(
                &DataKey::generate(),
                &wrap_aad(tx.tenant(), KeyKind::Subject, key_id),
            )
            .await?;
        sqlx::query(
            "insert into keys.subject_keys \
                 (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
             select $1, $2, $3, coalesce(max(version), 0) + 1, $4, $5, $6 \
             from keys.subject_keys where tenant_id = $1 and subject_id = $3 \
             on conflict do nothing",
        )
        .bind(tx.tenant())
        .bind(key_id)
        .bind(subject)
        .bind(&wrapped.bytes)
        .bind(&wrapped.kek_id)
        .bind(wrapped.kek_version)
        .execute(&mut *tx)
        .await?;
    }
    Err(VaultError::UnknownKey)
}

pub(crate) async fn destroy_subject_keys(
    tx: &mut TenantTx,
    subject: Uuid,
) -> Result<u64, VaultError> {
    let done = sqlx::query(
        "update keys.subject_keys set wrapped = null, destroyed_at = now() \
         where tenant_id = $1 and subject_id = $2 and destroyed_at is null",
    )
    .bind(tx.tenant())
    .bind(subject)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

pub(crate) async fn destroy_tenant_keys(tx: &mut TenantTx) -> Result<u64, VaultError> {
    let mut n = 0;
    for sql in [
        "update keys.tenant_keys set wrapped = null, destroyed_at = now() \
         where tenant_id = $1 and destroyed_at is null",
        "update keys.subject_keys set wrapped = null, destroyed_at = now() \
         where tenant_id = $1 and destroyed_at is null",
    ] {
        n += sqlx::query(sql)
            .bind(tx.tenant())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Live keys wrapped under another KEK version than `current`.
pub(crate) async fn stale_wraps(
    tx: &mut TenantTx,
    current: i32,
) -> Result<Vec<(KeyKind, KeyRow)>, VaultError> {
    let mut out = Vec::new();
    for (kind, sql) in [
        (
            KeyKind::Tenant,
            "select key_id, version, wrapped, kek_id, kek_version from keys.tenant_keys \
             where tenant_id = $1 and destroyed_at is null and kek_version <> $2 for update",
        ),
        (
            KeyKind::Subject,
            "select key_id, version, wrapped, kek_id, kek_version from keys.subject_keys \
             where tenant_id = $1 and destroyed_at is null and kek_version <> $2 for update",
        ),
    ] {
        let rows = sqlx::query(sql)
            .bind(tx.tenant())
            .bind(current)
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            if let Some(key) = key_row(&row)? {
                out.push((kind, key));
            }
        }
    }
    Ok(out)
}

pub(crate) async fn replace_wrap(
    tx: &mut TenantTx,
    kind: KeyKind,
    key_id: Uuid,
    wrapped: &WrappedKey,
) -> Result<(), VaultError> {
    let sql = match kind {
        KeyKind::Tenant => {
            "update keys.tenant_keys set wrapped = $3, kek_id = $4, kek_version = $5 \
             where tenant_id = $1 and key_id = $2 and destroyed_at is null"
        }
        KeyKind::Subject => {
            "update keys.subject_keys set wrapped = $3, kek_id = $4, kek_version = $5 \
             where tenant_id = $1 and key_id = $2 and destroyed_at is null"
        }
    };
    sqlx::query(sql)
        .bind(tx.tenant())
        .bind(key_id)
        .bind(&wrapped.bytes)
        .bind(&wrapped.kek_id)
        .bind(wrapped.kek_version)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
