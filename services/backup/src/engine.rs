//! Backup, list, verify, restore and prune of one tenant.
//!
//! Backup: one repeatable-read, read-only snapshot as the `backup` role (row-level
//! security shows only the tenant's rows) → `COPY (select …) TO STDOUT` per table, parents
//! first → SHA-256 and row count per table → zstd → AES-256-GCM frames under a fresh data
//! key → S3 multipart upload → manifest, written last. Memory stays bounded by a chunk of
//! COPY data, a compression window and one upload part, whatever the tenant's size.
//!
//! Restore: manifest → schema check → unwrap the data key with the tenant key (a destroyed
//! key ends here, before anything is touched) → stream, decrypt, decompress into temporary
//! tables, checking every table's bytes, rows and checksum → re-apply erasures recorded
//! after the backup → in the same transaction delete the tenant's live rows and insert the
//! restored ones. Nothing is visible until the commit; other tenants never notice.

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
use crate::s3::{ObjectStore, Upload};

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
    /// Rows inserted.
    pub rows: u64,
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        Backups { db, vault, store }
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

    /// Backs up one tenant as of now.
    pub async fn run(&self, tenant: TenantId) -> Result<Manifest, BackupError> {
        self.run_at(tenant, Utc::now()).await
    }

    /// Backs up one tenant, stamping it with `now` (an injected clock in tests).
    #[tracing::instrument(name = "backup.run", skip_all, fields(tenant_id = %tenant))]
    pub async fn run_at(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Manifest, BackupError> {
        let started = Instant::now();
        // The tenant key may not exist yet (created on first use), which a read-only
        // snapshot could not do: fetch it first.
        let mut key_tx = self.db.begin(tenant).await?;
        // A deleted shop is never backed up again (its keys are gone; asking the vault
        // for a key would only mint a new one).
        match db::tenant_entry(&mut key_tx).await? {
            Some((_, _, status)) if status != "deleted" => {}
            _ => return Err(BackupError::UnknownTenant(tenant.to_string())),
        }
        let (tenant_key_id, tenant_key_version, tenant_key) =
            self.vault.tenant_data_key(&mut key_tx).await?;
        key_tx.commit().await?;

        let mut tx = self.db.begin_snapshot(tenant).await?;
        if !db::try_lock(&mut tx).await? {
            return Err(BackupError::AlreadyRunning(tenant.to_string()));
        }
        let (handle, display_name, _) = db::tenant_entry(&mut tx)
            .await?
            .ok_or_else(|| BackupError::UnknownTenant(tenant.to_string()))?;
        let tables = db::tenant_tables(&mut tx).await?;
        let schema_version = db::schema_version(&mut tx).await?;
        let erasure_position = db::erasure_position(&mut tx).await?;

        let backup_id = new_backup_id(now);
        let key = DataKey::generate();
        let wrapped = tenant_key
            .encrypt(key.expose(), &crypt::key_aad(tenant, &backup_id))
            .map_err(BackupError::from)?;
        let mut nonce = [0u8; crypt::NONCE_LEN];
        nonce.copy_from_slice(&Uuid::new_v4().as_bytes()[..crypt::NONCE_LEN]);
        let writer = FrameWriter::new(&key, &nonce, tenant, &backup_id)?;
        let mut upload = self
            .store
            .start_upload(&data_key(tenant, &backup_id))
            .await?;
        tracing::info!(backup_id, tables = tables.len(), "backup started");

        let exported = export(&mut tx, &tables, writer, &mut upload, started).await;
        let (entries, plaintext_bytes) = match exported {
            Ok(done) => done,
            Err(err) => {
                upload.abort().await;
                return Err(err);
            }
        };
        let object_bytes = upload.complete().await?;
        let manifest = Manifest {
            format: FORMAT,
            backup_id: backup_id.clone(),
            tenant: TenantEntry {
                id: tenant.as_uuid(),
                handle,
                display_name,
            },
            schema_version,
            created_at: now,
            tables: entries,
            plaintext_bytes,
            object_bytes,
            tenant_key_id,
            tenant_key_version,
            wrapped_data_key: B64.encode(wrapped),
            stream_nonce: B64.encode(nonce),
            erasure_position,
        };
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BackupError::Corrupt(format!("manifest: {e}")))?;
        // Written last: until it exists the backup is not listed as complete.
        self.store
            .put(&manifest_key(tenant, &backup_id), json)
            .await?;
        tx.commit().await?;
        let seconds = started.elapsed().as_secs_f64();
        let m = metrics();
        let attrs = [KeyValue::new("operation", "backup")];
        m.rows.add(manifest.rows(), &attrs);
        m.bytes.add(plaintext_bytes, &attrs);
        m.seconds.record(seconds, &attrs);
        tracing::info!(
            backup_id,
            rows = manifest.rows(),
            plaintext_bytes,
            object_bytes,
            seconds,
            "backup complete"
        );
        Ok(manifest)
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

    /// Downloads, decrypts and checks a backup without restoring it.
    #[tracing::instrument(name = "backup.verify", skip_all, fields(tenant_id = %tenant))]
    pub async fn verify(&self, tenant: TenantId, backup_id: &str) -> Result<Manifest, BackupError> {
        let manifest = self.manifest(tenant, backup_id).await?;
        let mut source = self.source(&manifest).await?;
        let mut pending = Pending::default();
        for table in &manifest.tables {
            let mut check = TableCheck::default();
            pending
                .drain(&mut source, table.bytes, async |slice: Vec<u8>| {
                    check.add(&slice);
                    Ok(())
                })
                .await?;
            check.expect(table)?;
        }
        pending.expect_end(source).await?;
        tracing::info!(backup_id, rows = manifest.rows(), "backup verified");
        Ok(manifest)
    }

    /// Restores a backup into the live database (`into` = `None`) or into another
    /// database (a scratch copy) reached through `into`, replacing the tenant's rows there
    /// in one transaction.
    #[tracing::instrument(name = "backup.restore", skip_all, fields(tenant_id = %tenant))]
    pub async fn restore(
        &self,
        tenant: TenantId,
        backup_id: &str,
        into: Option<&TenantDb>,
    ) -> Result<RestoreReport, BackupError> {
        let started = Instant::now();
        let manifest = self.manifest(tenant, backup_id).await?;
        let target = into.unwrap_or(&self.db);
        let mut tx = target.begin(tenant).await?;
        if !db::try_lock(&mut tx).await? {
            return Err(BackupError::AlreadyRunning(tenant.to_string()));
        }
        let live_tables = db::tenant_tables(&mut tx).await?;
        let database = db::schema_version(&mut tx).await?;
        let plan = check_schema(&manifest, &live_tables, database)?;
        // Erasures are read from the live ledger, the authority, even for a scratch copy.
        let erased = {
            let mut live = self.db.begin(tenant).await?;
            let erased = db::erasures_after(&mut live, manifest.erasure_position).await?;
            live.commit().await?;
            erased
        };
        let mut source = self.source(&manifest).await?;

        for (i, (_, table)) in plan.iter().enumerate() {
            let sql = format!(
                "create temporary table {} (like {} including defaults) on commit drop",
                staging(i),
                table.quoted
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut tx)
                .await?;
        }
        let mut pending = Pending::default();
        let mut progress = 0u64;
        for (i, (entry, _)) in plan.iter().enumerate() {
            let mut check = TableCheck::default();
            let statement = format!(
                "copy {} ({}) from stdin",
                staging(i),
                column_list(&entry.columns)
            );
            let mut copy = tx.copy_in(&statement).await?;
            let mut failed: Option<sqlx::Error> = None;
            pending
                .drain(&mut source, entry.bytes, async |slice: Vec<u8>| {
                    check.add(&slice);
                    if failed.is_none()
                        && let Err(e) = copy.send(slice.as_slice()).await
                    {
                        failed = Some(e);
                    }
                    Ok(())
                })
                .await?;
            if let Some(err) = failed {
                return Err(err.into());
            }
            copy.finish().await?;
            check.expect(entry)?;
            progress += entry.bytes;
            tracing::info!(
                table = entry.name,
                rows = entry.rows,
                bytes = progress,
                "restore progress"
            );
        }
        pending.expect_end(source).await?;

        // Re-apply erasures recorded after the backup was taken.
        let mut rows_erased = 0;
        if !erased.is_empty() {
            for (i, (entry, _)) in plan.iter().enumerate() {
                if entry.columns.iter().any(|c| c == "subject_id") {
                    let sql = format!("delete from {} where subject_id = any($1)", staging(i));
                    rows_erased += sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&erased)
                        .execute(&mut tx)
                        .await?
                        .rows_affected();
                }
            }
        }

        ensure_tenant_row(&mut tx, &manifest).await?;
        // Replace: children first out, parents first in.
        for table in live_tables.iter().rev() {
            let sql = format!("delete from {}", table.quoted);
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut tx)
                .await?;
        }
        let mut rows = 0;
        for (i, (entry, table)) in plan.iter().enumerate() {
            if table.volatile {
                // Sessions and the like: restoring them could revive what was revoked.
                continue;
            }
            let columns = column_list(&entry.columns);
            let sql = format!(
                "insert into {} ({columns}) select {columns} from {}",
                table.quoted,
                staging(i)
            );
            rows += sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        let seconds = started.elapsed().as_secs_f64();
        let m = metrics();
        let attrs = [KeyValue::new("operation", "restore")];
        m.rows.add(rows, &attrs);
        m.bytes.add(manifest.plaintext_bytes, &attrs);
        m.seconds.record(seconds, &attrs);
        tracing::info!(
            backup_id,
            rows,
            erasures = erased.len(),
            rows_erased,
            seconds,
            "restore complete"
        );
        Ok(RestoreReport {
            manifest,
            rows,
            erasures_replayed: erased.len(),
            rows_erased,
            seconds,
        })
    }

    /// Applies the tenant's retention policy as of `now`: deletes every complete backup
    /// the policy does not keep, and abandoned runs (data without a manifest) older than a
    /// day. With `dry_run` nothing is deleted.
    #[tracing::instrument(name = "backup.prune", skip_all, fields(tenant_id = %tenant))]
    pub async fn prune(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PruneReport, BackupError> {
        let policy = {
            let mut tx = self.db.begin(tenant).await?;
            let policy = db::policy(&mut tx).await?;
            tx.commit().await?;
            policy
        };
        let listed = self.list(tenant).await?;
        let (complete, partial): (Vec<_>, Vec<_>) = listed.into_iter().partition(|b| b.complete);
        let times: Vec<DateTime<Utc>> = complete.iter().map(|b| b.created_at).collect();
        let keep = retention::keep(&times, policy);
        let mut report = PruneReport::default();
        for (i, b) in complete.iter().enumerate() {
            if keep.contains(&i) {
                report.kept.push(b.backup_id.clone());
            } else {
                report.deleted.push(b.backup_id.clone());
            }
        }
        for b in &partial {
            if now - b.created_at > chrono::Duration::hours(ORPHAN_AGE_HOURS) {
                report.deleted.push(b.backup_id.clone());
            }
        }
        if !dry_run {
            for id in &report.deleted {
                // The manifest goes first: from then on the backup is no longer valid.
                self.store.delete(&manifest_key(tenant, id)).await?;
                self.store.delete(&data_key(tenant, id)).await?;
            }
        }
        tracing::info!(
            kept = report.kept.len(),
            deleted = report.deleted.len(),
            dry_run,
            "prune"
        );
        Ok(report)
    }
}

fn staging(i: usize) -> String {
    format!("pg_temp.restore_{i}")
}

/// Pairs each table of the backup with the live table it restores into, or says why the
/// backup cannot be restored into this schema.
fn check_schema<'a>(
    manifest: &'a Manifest,
    live: &'a [Table],
    database: i64,
) -> Result<Vec<(&'a TableEntry, &'a Table)>, BackupError> {
    if manifest.schema_version > database {
        return Err(BackupError::SchemaNewer {
            backup: manifest.schema_version,
            database,
        });
    }
    let unmigratable = |reason: String| BackupError::SchemaUnmigratable {
        backup: manifest.schema_version,
        database,
        reason,
    };
    let mut plan = Vec::new();
    for entry in &manifest.tables {
        let table = live
            .iter()
            .find(|t| t.name == entry.name)
            .ok_or_else(|| unmigratable(format!("table {} no longer exists", entry.name)))?;
        for column in &entry.columns {
            if !table.columns.iter().any(|c| &c.name == column) {
                return Err(unmigratable(format!(
                    "column {}.{column} no longer exists",
                    entry.name
                )));
            }
        }
        if let Some(c) = table
            .columns
            .iter()
            .find(|c| c.required && !entry.columns.contains(&c.name))
        {
            return Err(unmigratable(format!(
                "column {}.{} is required now and the backup has no value for it",
                entry.name, c.name
            )));
        }
        plan.push((entry, table));
    }
    Ok(plan)
}

/// A scratch database may not know the shop yet.
async fn ensure_tenant_row(tx: &mut TenantTx, manifest: &Manifest) -> Result<(), BackupError> {
    sqlx::query(
        "insert into tenants (id, handle, display_name) values ($1, $2, $3)
         on conflict (id) do nothing",
    )
    .bind(manifest.tenant.id)
    .bind(&manifest.tenant.handle)
    .bind(&manifest.tenant.display_name)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Exports every table into the writer and the upload; returns the entries and the
/// plaintext size.
async fn export(
    tx: &mut TenantTx,
    tables: &[Table],
    mut writer: FrameWriter,
    upload: &mut Upload,
    started: Instant,
) -> Result<(Vec<TableEntry>, u64), BackupError> {
    let zerr = |e: std::io::Error| BackupError::Corrupt(format!("zstd: {e}"));
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).map_err(zerr)?;
    let mut entries = Vec::with_capacity(tables.len());
    let mut total = 0u64;
    let mut next_report = PROGRESS_EVERY;
    for table in tables {
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let statement = format!(
            "copy (select {} from {}) to stdout",
            column_list(&columns),
            table.quoted
        );
        let mut hasher = Sha256::new();
        let mut rows = 0u64;
        let mut bytes = 0u64;
        {
            let mut stream = tx.copy_out(&statement).await?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                hasher.update(&chunk);
                rows += newlines(&chunk);
                bytes += chunk.len() as u64;
                encoder.write_all(&chunk).map_err(zerr)?;
                if encoder.get_ref().len() >= crypt::CHUNK {
                    writer.write(&std::mem::take(encoder.get_mut()))?;
                }
                if writer.output_len() >= PART {
                    upload.part(writer.take_output()).await?;
                }
            }
        }
        total += bytes;
        if total >= next_report {
            next_report = total + PROGRESS_EVERY;
            tracing::info!(
                table = table.name,
                bytes = total,
                uploaded = upload.bytes(),
                seconds = started.elapsed().as_secs_f64(),
                "backup progress"
            );
        }
        entries.push(TableEntry {
            name: table.name.clone(),
            columns,
            rows,
            bytes,
            sha256: hex(&hasher.finalize()),
        });
    }
    let rest = encoder.finish().map_err(zerr)?;
    writer.write(&rest)?;
    let last = writer.finish()?;
    // The final part may be small (S3 allows it for the last one).
    upload.part(last).await?;
    Ok((entries, total))
}

/// Plaintext out of the object: S3 body → frames → zstd.
struct PlainSource {
    body: aws_sdk_s3::primitives::ByteStream,
    reader: Option<FrameReader>,
    decoder: Option<zstd::stream::write::Decoder<'static, Vec<u8>>>,
}

impl PlainSource {
    /// The next piece of plaintext; `None` at the end of the object.
    async fn next(&mut self) -> Result<Option<Vec<u8>>, BackupError> {
        let zerr = |e: std::io::Error| BackupError::Corrupt(format!("zstd: {e}"));
        loop {
            let (Some(reader), Some(decoder)) = (self.reader.as_mut(), self.decoder.as_mut())
            else {
                return Ok(None);
            };
            match self.body.next().await {
                Some(piece) => {
                    let piece = piece.map_err(|e| BackupError::S3(format!("read object: {e}")))?;
                    reader.feed(&piece, &mut |plain| decoder.write_all(plain).map_err(zerr))?;
                    let out = std::mem::take(decoder.get_mut());
                    if !out.is_empty() {
                        return Ok(Some(out));
                    }
                }
                None => {
                    if let Some(reader) = self.reader.take() {
                        reader.finish()?;
                    }
                    let Some(mut decoder) = self.decoder.take() else {
                        return Ok(None);
                    };
                    decoder.flush().map_err(zerr)?;
                    let out = decoder.into_inner();
                    return Ok(if out.is_empty() { None } else { Some(out) });
                }
            }
        }
    }
}

/// Plaintext read from the source but not yet handed to a table.
#[derive(Default)]
struct Pending {
    data: Vec<u8>,
    at: usize,
}

impl Pending {
    async fn fill(&mut self, source: &mut PlainSource) -> Result<(), BackupError> {
        while self.at == self.data.len() {
            match source.next().await? {
                Some(data) => {
                    self.data = data;
                    self.at = 0;
                }
                None => {
                    return Err(BackupError::Corrupt(
                        "the data ends before the manifest says".to_owned(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Hands exactly `bytes` bytes to `sink`, in owned pieces, pulling from the source as needed.
    async fn drain<F>(
        &mut self,
        source: &mut PlainSource,
        mut bytes: u64,
        mut sink: F,
    ) -> Result<(), BackupError>
    where
        F: AsyncFnMut(Vec<u8>) -> Result<(), BackupError>,
    {
        while bytes > 0 {
            self.fill(source).await?;
            let take = usize::try_from(bytes)
                .unwrap_or(usize::MAX)
                .min(self.data.len() - self.at);
            sink(self.data[self.at..self.at + take].to_vec()).await?;
            self.at += take;
            bytes -= take as u64;
        }
        Ok(())
    }

    /// Checks that nothing follows the last table and the object ended properly.
    async fn expect_end(mut self, mut source: PlainSource) -> Result<(), BackupError> {
        if self.at < self.data.len() {
            return Err(BackupError::Corrupt(
                "more data than the manifest says".to_owned(),
            ));
        }
        self.data.clear();
        match source.next().await? {
            None => Ok(()),
            Some(_) => Err(BackupError::Corrupt(
                "more data than the manifest says".to_owned(),
            )),
        }
    }
}

#[derive(Default)]
struct TableCheck {
    hasher: Sha256,
    rows: u64,
    bytes: u64,
}

impl TableCheck {
    fn add(&mut self, slice: &[u8]) {
        self.hasher.update(slice);
        self.rows += newlines(slice);
        self.bytes += slice.len() as u64;
    }

    fn expect(self, entry: &TableEntry) -> Result<(), BackupError> {
        let sha = hex(&self.hasher.finalize());
        if sha != entry.sha256 || self.rows != entry.rows || self.bytes != entry.bytes {
            return Err(BackupError::Corrupt(format!(
                "table {} does not match its manifest entry",
                entry.name
            )));
        }
        Ok(())
    }
}

/// Quoted name helper re-exported for tests that build SQL against discovered tables.
pub fn quoted(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}
