//! The worker's use cases over one tenant: back up, list, verify, restore, prune, close. The
//! command line (`cli.rs`) and the tests call them; SQL lives in `db.rs`, object storage
//! in `s3.rs`, the encryption format in `crypt.rs`.

mod backup;
mod close;
mod prune;
mod restore;
mod stream;

use std::io::Write;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::StreamExt;
use opentelemetry::KeyValue;
use platform_tenancy::{TenantDb, TenantId, TenantTx};
use platform_vault::{DataKey, Vault};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::BackupError;
use crate::crypt::{self, FrameReader, FrameWriter};
use crate::db::{self, Table, column_list, quote_ident};
use crate::manifest::{FORMAT, Manifest, TableEntry, TenantEntry};
use crate::retention;
pub use close::ClosedPrune;
use platform_objects::{ObjectStore, Upload};
use stream::PlainSource;

/// Ciphertext gathered before it goes up as one part.
const PART: usize = 8 << 20;
/// Log progress every this many plaintext bytes.
const PROGRESS_EVERY: u64 = 64 << 20;
/// A data object without a manifest older than this is an abandoned run: prune removes it.
const ORPHAN_AGE_HOURS: i64 = 24;

/// A backup as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Tenant.
    pub tenant: TenantId,
    /// Backup id.
    pub backup_id: String,
    /// Snapshot time (from the id).
    pub created_at: DateTime<Utc>,
    /// A manifest exists: the backup completed.
    pub complete: bool,
    /// Size of the data object.
    pub bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The manifest restored.
    pub manifest: Manifest,
    /// Rows the tenant's tables hold from the backup after the restore.
    pub rows: u64,
    /// Rows deleted, updated or inserted to get there (0 when nothing had changed).
    pub rows_changed: u64,
    /// Data subjects whose erasure was re-applied.
    pub erasures_replayed: usize,
    /// Rows dropped by re-applied erasures.
    pub rows_erased: u64,
    /// Seconds from start to commit.
    pub seconds: f64,
}

/// What prune decided for one tenant.
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    /// Backup ids kept.
    pub kept: Vec<String>,
    /// Backup ids deleted (or that would be, in a dry run).
    pub deleted: Vec<String>,
}

/// The backup worker's operations.
#[derive(Clone)]
pub struct Backups {
    db: TenantDb,
    vault: Vault,
    store: ObjectStore,
    /// Product pictures (their own bucket): not backed up, but removed when a shop closes.
    images: Option<platform_images::ImageStore>,
}

/// Ends the transaction that holds the tenant's lock: commits on success, and on failure
/// rolls back at once (a dropped transaction is rolled back later, and its lock would
/// refuse an immediate retry as already running).
async fn settle<T>(
    tx: TenantTx,
    outcome: Result<T, BackupError>,
    operation: &'static str,
) -> Result<T, BackupError> {
    match outcome {
        Ok(done) => {
            tx.commit().await?;
            Ok(done)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(operation, error = %rollback, "rolling back after a failure failed");
            }
            Err(e)
        }
    }
}

fn prefix(tenant: TenantId) -> String {
    format!("tenants/{tenant}/")
}

fn data_key(tenant: TenantId, id: &str) -> String {
    format!("tenants/{tenant}/{id}/data")
}

fn manifest_key(tenant: TenantId, id: &str) -> String {
    format!("tenants/{tenant}/{id}/manifest.json")
}

/// Backup ids start with the snapshot time in RFC 3339 form (`2026-11-23T12:08:14Z-…`):
/// sortable, readable, and recognised as a timestamp by the log redaction (a compact
/// `20261123T120814` would be masked as a phone number).
const ID_TIME: &str = "%Y-%m-%dT%H:%M:%SZ";

fn new_backup_id(now: DateTime<Utc>) -> String {
    // Letters only, so no run of digits in the id looks like a phone number to the
    // redaction; 12 letters make two runs in the same second practically never collide.
    let suffix: String = Uuid::new_v4().as_bytes()[..12]
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    format!("{}-{suffix}", now.format(ID_TIME))
}

/// The snapshot time encoded in a backup id.
pub fn id_time(id: &str) -> Option<DateTime<Utc>> {
    let (stamp, _) = id.split_once("Z-")?;
    NaiveDateTime::parse_from_str(&format!("{stamp}Z"), ID_TIME)
        .ok()
        .map(|t| t.and_utc())
}

fn newlines(data: &[u8]) -> u64 {
    data.iter().filter(|b| **b == b'\n').count() as u64
}

struct Metrics {
    rows: opentelemetry::metrics::Counter<u64>,
    bytes: opentelemetry::metrics::Counter<u64>,
    seconds: opentelemetry::metrics::Histogram<f64>,
}

fn metrics() -> Metrics {
    let meter = platform_telemetry::meter("backup");
    Metrics {
        rows: meter
            .u64_counter("backup.rows")
            .with_description("rows backed up or restored")
            .build(),
        bytes: meter
            .u64_counter("backup.bytes")
            .with_description("plaintext bytes backed up or restored")
            .with_unit("By")
            .build(),
        seconds: meter
            .f64_histogram("backup.duration")
            .with_description("time of one backup or restore")
            .with_unit("s")
            .build(),
    }
}

impl Backups {
    /// Operations over the `backup` role's pool, the vault and a bucket.
    pub fn new(db: TenantDb, vault: Vault, store: ObjectStore) -> Self {
        Backups {
            db,
            vault,
            store,
            images: None,
        }
    }

    /// Also removes a closing shop's product pictures from `images`.
    pub fn with_images(mut self, images: platform_images::ImageStore) -> Self {
        self.images = Some(images);
        self
    }

    /// The object store.
    pub fn store(&self) -> &ObjectStore {
        &self.store
    }

    /// Every tenant that is not deleted (for `backup run` without `--tenant`).
    pub async fn active_tenants(&self) -> Result<Vec<TenantId>, BackupError> {
        let mut tx = self.db.platform().await?;
        let ids: Vec<Uuid> =
            sqlx::query_scalar("select id from tenants where status <> 'deleted' order by handle")
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    /// Backups of one tenant (complete or not), oldest first.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<Listed>, BackupError> {
        let objects = self.store.list(&prefix(tenant)).await?;
        let mut by_id: std::collections::BTreeMap<String, Listed> = Default::default();
        for object in objects {
            let Some(rest) = object.key.strip_prefix(&prefix(tenant)) else {
                continue;
            };
            let Some((id, name)) = rest.split_once('/') else {
                continue;
            };
            let Some(created_at) = id_time(id) else {
                continue;
            };
            let entry = by_id.entry(id.to_owned()).or_insert_with(|| Listed {
                tenant,
                backup_id: id.to_owned(),
                created_at,
                complete: false,
                bytes: 0,
            });
            match name {
                "manifest.json" => entry.complete = true,
                "data" => entry.bytes = object.size,
                _ => {}
            }
        }
        Ok(by_id.into_values().collect())
    }

    /// The manifest of a complete backup.
    pub async fn manifest(
        &self,
        tenant: TenantId,
        backup_id: &str,
    ) -> Result<Manifest, BackupError> {
        let bytes = self
            .store
            .get(&manifest_key(tenant, backup_id))
            .await?
            .ok_or_else(|| BackupError::UnknownBackup(backup_id.to_owned()))?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| BackupError::Corrupt(format!("manifest: {e}")))?;
        if manifest.tenant.id != tenant.as_uuid() || manifest.backup_id != backup_id {
            return Err(BackupError::Corrupt(
                "the manifest names another backup".to_owned(),
            ));
        }
        if manifest.format != FORMAT {
            return Err(BackupError::Corrupt(format!(
                "unknown format {}",
                manifest.format
            )));
        }
        Ok(manifest)
    }

    /// The data key of a backup, unwrapped by the tenant key in the live key store.
    async fn unwrap_key(&self, manifest: &Manifest) -> Result<DataKey, BackupError> {
        let tenant = TenantId::from_uuid(manifest.tenant.id);
        let mut tx = self.db.begin(tenant).await?;
        let tenant_key = self
            .vault
            .tenant_data_key_by_id(&mut tx, manifest.tenant_key_id)
            .await?;
        tx.commit().await?;
        let wrapped = B64
            .decode(&manifest.wrapped_data_key)
            .map_err(|_| BackupError::Corrupt("wrapped data key".to_owned()))?;
        let plain = tenant_key
            .decrypt(&wrapped, &crypt::key_aad(tenant, &manifest.backup_id))
            .map_err(|_| BackupError::Corrupt("the data key does not unwrap".to_owned()))?;
        DataKey::from_slice(&plain).map_err(BackupError::from)
    }

    async fn source(&self, manifest: &Manifest) -> Result<PlainSource, BackupError> {
        let tenant = TenantId::from_uuid(manifest.tenant.id);
        let key = self.unwrap_key(manifest).await?;
        let nonce = B64
            .decode(&manifest.stream_nonce)
            .map_err(|_| BackupError::Corrupt("stream nonce".to_owned()))?;
        let reader = FrameReader::new(&key, &nonce, tenant, &manifest.backup_id)?;
        let body = self
            .store
            .open(&data_key(tenant, &manifest.backup_id))
            .await?
            .ok_or_else(|| BackupError::Corrupt("the data object is missing".to_owned()))?;
        let decoder = zstd::stream::write::Decoder::new(Vec::new())
            .map_err(|e| BackupError::Corrupt(format!("zstd: {e}")))?;
        Ok(PlainSource {
            body,
            reader: Some(reader),
            decoder: Some(decoder),
        })
    }
}

/// Quoted name helper re-exported for tests that build SQL against discovered tables.
pub fn quoted(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}
