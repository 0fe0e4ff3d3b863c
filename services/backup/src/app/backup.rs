//! Backup: one repeatable-read, read-only snapshot as the `backup` role (row-level
//! security shows only the tenant's rows) → `COPY (select …) TO STDOUT` per table, parents
//! first → SHA-256 and row count per table → zstd → AES-256-GCM frames under a fresh data
//! key → S3 multipart upload → manifest, written last. Memory stays bounded by a chunk of
//! COPY data, a compression window and one upload part, whatever the tenant's size.

use super::*;

impl Backups {
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
        // Everything under the lock, then `settle` commits or rolls back at once.
        let outcome = async {
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
            Ok::<_, BackupError>(manifest)
        }
        .await;
        let manifest = settle(tx, outcome, "backup").await?;
        let (backup_id, plaintext_bytes, object_bytes) = (
            manifest.backup_id.as_str(),
            manifest.plaintext_bytes,
            manifest.object_bytes,
        );
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
            sha256: hex::encode(hasher.finalize()),
        });
    }
    let rest = encoder.finish().map_err(zerr)?;
    writer.write(&rest)?;
    let last = writer.finish()?;
    // The final part may be small (S3 allows it for the last one).
    upload.part(last).await?;
    Ok((entries, total))
}
