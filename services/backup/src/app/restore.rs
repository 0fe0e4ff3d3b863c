//! Verify and restore: manifest → schema check → unwrap the data key with the tenant key
//! (a destroyed key ends here, before anything is touched) → stream, decrypt, decompress
//! into temporary tables, checking every table's bytes, rows and checksum → re-apply
//! erasures recorded after the backup → in the same transaction bring the tenant's live
//! rows to the backup, changing only the rows that differ (or, when a constraint stands in
//! the way, replacing every row). Nothing is visible until the commit; other tenants
//! never notice.

use super::stream::{Pending, TableCheck};
use super::*;

impl Backups {
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
        // Everything under the lock, then `settle` commits or rolls back at once.
        let outcome = async {
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

            // Re-apply erasures recorded after the backup was taken: rows of an erased
            // person go, except rows kept pseudonymised (they have `erased_at`), which
            // `erase_subjects` strips once they are back in place.
            let mut rows_erased = 0;
            let mut rows = 0;
            for (i, (entry, table)) in plan.iter().enumerate() {
                let mut dropped = 0;
                if !erased.is_empty()
                    && entry.columns.iter().any(|c| c == "subject_id")
                    && !entry.columns.iter().any(|c| c == "erased_at")
                {
                    let sql = format!("delete from {} where subject_id = any($1)", staging(i));
                    dropped = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&erased)
                        .execute(&mut tx)
                        .await?
                        .rows_affected();
                }
                rows_erased += dropped;
                if !table.volatile {
                    rows += entry.rows.saturating_sub(dropped);
                }
                // Temporary tables are never analysed by autovacuum; the joins below need
                // their size to pick hash joins over nested loops.
                let sql = format!("analyze {}", staging(i));
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut tx)
                    .await?;
            }

            ensure_tenant_row(&mut tx, &manifest).await?;
            // Most of a shop is usually as it was: change only what differs. A constraint
            // that only a wholesale replacement satisfies (two rows that swapped a unique
            // value, a row moved under a parent that goes) undoes that attempt, and every
            // row is replaced instead.
            tx.savepoint().await?;
            let changed = match replace_changes(&mut tx, &plan, &live_tables).await {
                Ok(changed) => {
                    tx.release_savepoint().await?;
                    changed
                }
                Err(err) => {
                    let Some(code) = constraint_violation(&err) else {
                        return Err(err);
                    };
                    // The code only: the message could quote a row's values.
                    tracing::warn!(
                        code,
                        "restoring only the changed rows hit a constraint; replacing every row"
                    );
                    tx.rollback_to_savepoint().await?;
                    replace_all(&mut tx, &plan, &live_tables).await?
                }
            };
            if !erased.is_empty() {
                let stripped: i64 = sqlx::query_scalar("select erase_subjects($1)")
                    .bind(&erased)
                    .fetch_one(&mut tx)
                    .await?;
                rows_erased += u64::try_from(stripped).unwrap_or(0);
            }
            Ok::<_, BackupError>((rows, changed, erased, rows_erased))
        }
        .await;
        let (rows, changed, erased, rows_erased) = settle(tx, outcome, "restore").await?;
        let seconds = started.elapsed().as_secs_f64();
        let m = metrics();
        let attrs = [KeyValue::new("operation", "restore")];
        m.rows.add(rows, &attrs);
        m.bytes.add(manifest.plaintext_bytes, &attrs);
        m.seconds.record(seconds, &attrs);
        tracing::info!(
            backup_id,
            rows,
            rows_changed = changed,
            erasures = erased.len(),
            rows_erased,
            seconds,
            "restore complete"
        );
        Ok(RestoreReport {
            manifest,
            rows,
            rows_changed: changed,
            erasures_replayed: erased.len(),
            rows_erased,
            seconds,
        })
    }
}

fn staging(i: usize) -> String {
    format!("pg_temp.restore_{i}")
}

/// The SQLSTATE of an integrity constraint violation (class 23), if `err` is one.
fn constraint_violation(err: &BackupError) -> Option<String> {
    match err {
        BackupError::Db(platform_tenancy::TenancyError::Database(sqlx::Error::Database(db))) => db
            .code()
            .filter(|c| c.starts_with("23"))
            .map(|c| c.into_owned()),
        _ => None,
    }
}

/// Whether the backup's rows of `table` can be matched to the live ones by primary key:
/// the table has one, the backup has all its columns, and it is refilled (not volatile).
fn keyed(entry: &TableEntry, table: &Table) -> bool {
    !table.volatile && !table.key.is_empty() && table.key.iter().all(|k| entry.columns.contains(k))
}

/// The index in `plan` of a live table whose rows can be matched by key.
fn matched(plan: &[(&TableEntry, &Table)], table: &Table) -> Option<usize> {
    let (i, (entry, _)) = plan
        .iter()
        .enumerate()
        .find(|(_, (_, t))| t.name == table.name)?;
    keyed(entry, table).then_some(i)
}

/// `live.k = b.k and …` over the table's key.
fn same_key(table: &Table) -> String {
    table
        .key
        .iter()
        .map(|k| {
            let k = quote_ident(k);
            format!("live.{k} = b.{k}")
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// `alias.c1, alias.c2, …`.
fn qualified<S: AsRef<str>>(alias: &str, columns: &[S]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{}", quote_ident(c.as_ref())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the tenant has rows in `table`: one without (an emptied shop, a scratch
/// database) takes the backup's rows as they are, without comparing them to nothing.
async fn has_rows(tx: &mut TenantTx, table: &Table) -> Result<bool, BackupError> {
    let sql = format!("select exists (select from {})", table.quoted);
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *tx)
        .await?)
}

/// Inserts every staged row of the backup's table `i` as it is.
async fn insert_staged(
    tx: &mut TenantTx,
    i: usize,
    entry: &TableEntry,
    table: &Table,
) -> Result<u64, BackupError> {
    let columns = column_list(&entry.columns);
    let sql = format!(
        "insert into {} ({columns}) select {columns} from {}",
        table.quoted,
        staging(i)
    );
    execute(tx, sql).await
}

async fn execute(tx: &mut TenantTx, sql: String) -> Result<u64, BackupError> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// Brings the live tables to the staged backup by changing only rows that differ: rows the
/// backup lacks go (children first), rows whose backed-up columns differ, compared by their
/// binary image (`*=`, so `1.0` and `1.00` differ too), are updated in place, rows it has
/// and the live table lacks are inserted (parents first). A table without a key, or
/// volatile, is emptied and refilled. Returns the rows deleted, updated and inserted.
async fn replace_changes(
    tx: &mut TenantTx,
    plan: &[(&TableEntry, &Table)],
    live_tables: &[Table],
) -> Result<u64, BackupError> {
    let mut changed = 0;
    for table in live_tables.iter().rev() {
        let sql = match matched(plan, table) {
            Some(i) => format!(
                "delete from {} as live where not exists (select from {} as b where {})",
                table.quoted,
                staging(i),
                same_key(table)
            ),
            None => format!("delete from {}", table.quoted),
        };
        changed += execute(tx, sql).await?;
    }
    for (i, (entry, table)) in plan.iter().enumerate() {
        if table.volatile {
            continue;
        }
        if !keyed(entry, table) || !has_rows(tx, table).await? {
            changed += insert_staged(tx, i, entry, table).await?;
            continue;
        }
        let columns = column_list(&entry.columns);
        let rest: Vec<&String> = entry
            .columns
            .iter()
            .filter(|c| !table.key.contains(c))
            .collect();
        if !rest.is_empty() {
            let sql = format!(
                "update {} as live set ({}) = row({}) from {} as b
                  where {} and not (row({})::record *= row({})::record)",
                table.quoted,
                column_list(&rest),
                qualified("b", &rest),
                staging(i),
                same_key(table),
                qualified("live", &entry.columns),
                qualified("b", &entry.columns),
            );
            changed += execute(tx, sql).await?;
        }
        let sql = format!(
            "insert into {} ({columns}) select {} from {} as b
              where not exists (select from {} as live where {})",
            table.quoted,
            qualified("b", &entry.columns),
            staging(i),
            table.quoted,
            same_key(table),
        );
        changed += execute(tx, sql).await?;
    }
    Ok(changed)
}

/// Replaces every row: the tenant's live rows deleted (children first), the staged ones
/// inserted (parents first). Returns the rows deleted and inserted.
async fn replace_all(
    tx: &mut TenantTx,
    plan: &[(&TableEntry, &Table)],
    live_tables: &[Table],
) -> Result<u64, BackupError> {
    let mut changed = 0;
    for table in live_tables.iter().rev() {
        changed += execute(tx, format!("delete from {}", table.quoted)).await?;
    }
    for (i, (entry, table)) in plan.iter().enumerate() {
        if table.volatile {
            // Sessions and the like: restoring them could revive what was revoked.
            continue;
        }
        changed += insert_staged(tx, i, entry, table).await?;
    }
    Ok(changed)
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
