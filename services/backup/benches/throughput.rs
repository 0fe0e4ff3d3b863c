//! Backup and restore throughput (docs/benchmarks.md, "Backups").
//!
//! In a throw-away database: one tenant with 1,000,000 rows (500,000 products and
//! 500,000 variants) beside another tenant with 100,000. Measured in the same run,
//! interleaved, three times each:
//!
//! - **baseline**: for every tenant table, `psql -c "\copy (select <columns> from <table>
//!   where tenant_id = '<tenant>') to stdout" | zstd -3 -q > /dev/null` (the superuser, so
//!   no RLS; the same rows and columns the backup exports);
//! - **backup**: `Backups::run` as the `backup` role under RLS: snapshot, COPY, SHA-256,
//!   zstd, AES-256-GCM frames, multipart upload to the dev Garage, manifest;
//!
//! then `verify`, and twice, interleaved:
//!
//! - **restore baseline**: the same rows loaded into the same tables, with their indexes,
//!   constraints and triggers, by `COPY … FROM STDIN` as the owner, parents first, in one
//!   transaction that is rolled back (the tenant's rows deleted first, untimed). Postgres
//!   refuses `COPY FROM` under row-level security, which the owner is subject to (FORCE),
//!   so that transaction lifts FORCE on those tables first;
//! - **restore**: `Backups::restore`, live, in one transaction (the RTO), three times:
//!   over rows unchanged since the backup; after an incident that repriced a tenth of the
//!   variants and deleted a tenth of the products; and into the shop emptied of all its
//!   rows (the worst case: every row inserted). The damage and the emptying are untimed.
//!
//! Throughput is plaintext (COPY text) megabytes per second.
//!
//! The baseline finds the tenant tables in the catalog itself (not through the backup's
//! own discovery), so the two are measured independently.
//!
//! Needs the dev Garage (`cargo xtask s3`). Run:
//! `cargo bench -p backup --bench throughput -- --rows 1000000`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use backup::{Backups, ObjectStore, S3Config};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::{OWNER_ROLE, TestDb};
use platform_vault::{LocalKek, Vault};
use secrecy::SecretString;
use serde_json::json;

async fn fill(owner: &TenantDb, tenant: TenantId, handle: &str, rows: i64) -> anyhow::Result<()> {
    let mut tx = owner.begin(tenant).await?;
    sqlx::query("insert into tenants (id, handle, display_name) values ($1, $2, $2)")
        .bind(tenant)
        .bind(handle)
        .execute(&mut tx)
        .await?;
    sqlx::query("insert into store_settings (tenant_id, currency) values ($1, 'EUR')")
        .bind(tenant)
        .execute(&mut tx)
        .await?;
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status)
         select $1, gen_random_uuid(), 'p-' || g, 'Product ' || g || ' of the bench shop',
                'A sturdy item, number ' || g || ', for every season and every trail.', 'active'
           from generate_series(1, $2) g",
    )
    .bind(tenant)
    .bind(rows / 2)
    .execute(&mut tx)
    .await?;
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, price_minor, currency, stock)
         select tenant_id, gen_random_uuid(), id, 'SKU-' || handle, 1000 + (random() * 9000)::int,
                'EUR', (random() * 100)::int
           from products",
    )
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

fn admin_url(db: &TestDb) -> String {
    let url = std::env::var("PLATFORM_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{}", db.name()),
        None => url,
    }
}

/// The tables a backup exports, as the catalog names them: every table of the `public`
/// schema with a `tenant_id` column (the vault's keys and the erasure ledger live in
/// their own schemas, which backups never export).
async fn baseline_tables(su: &mut sqlx::PgConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select c.table_name::text from information_schema.columns c \
         join information_schema.tables t using (table_schema, table_name) \
         where c.table_schema = 'public' and c.column_name = 'tenant_id' \
           and t.table_type = 'BASE TABLE' \
         order by 1",
    )
    .fetch_all(&mut *su)
    .await?)
}

/// The columns of `table` a `COPY FROM` may write (generated ones are computed).
async fn insertable(su: &mut sqlx::PgConnection, table: &str) -> anyhow::Result<String> {
    Ok(sqlx::query_scalar(
        "select string_agg(quote_ident(attname), ', ' order by attnum) from pg_attribute \
         where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''",
    )
    .bind(format!("public.{table}"))
    .fetch_one(&mut *su)
    .await?)
}

/// The tenant's rows of every table that has some, as COPY text, parents before children.
async fn tenant_rows(
    su: &mut sqlx::PgConnection,
    tenant: TenantId,
    tables: &[String],
) -> anyhow::Result<Vec<(String, String, Vec<Vec<u8>>)>> {
    use futures_util::TryStreamExt;
    let mut found = Vec::new();
    for table in tables {
        let columns = insertable(su, table).await?;
        let copy = format!(
            "copy (select {columns} from public.{table} where tenant_id = '{tenant}') to stdout"
        );
        let chunks: Vec<Vec<u8>> = su
            .copy_out_raw(&copy)
            .await?
            .map_ok(|chunk| chunk.to_vec())
            .try_collect()
            .await?;
        if !chunks.is_empty() {
            found.push((table.clone(), columns, chunks));
        }
    }
    let edges: Vec<(String, String)> = sqlx::query_as(
        "select conrelid::regclass::text, confrelid::regclass::text from pg_constraint \
         where contype = 'f' and conrelid <> confrelid",
    )
    .fetch_all(&mut *su)
    .await?;
    let mut ordered = Vec::new();
    while !found.is_empty() {
        let ready = found
            .iter()
            .position(|(t, _, _)| {
                !edges.iter().any(|(child, parent)| {
                    child == t && found.iter().any(|(other, _, _)| other == parent)
                })
            })
            .context("the tenant tables' foreign keys form a cycle")?;
        ordered.push(found.remove(ready));
    }
    Ok(ordered)
}

/// Seconds to load `rows` (from [`tenant_rows`]) by `COPY FROM` as the owner, in a
/// transaction that deletes the tenant's rows first (untimed) and is rolled back.
async fn copy_baseline(
    db: &TestDb,
    tenant: TenantId,
    rows: &[(String, String, Vec<Vec<u8>>)],
) -> anyhow::Result<f64> {
    use sqlx::Connection;
    let mut owner = sqlx::PgConnection::connect_with(&db.options_for(OWNER_ROLE)).await?;
    let mut tx = owner.begin().await?;
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    for (table, _, _) in rows {
        let lift = format!("alter table public.{table} no force row level security");
        sqlx::raw_sql(sqlx::AssertSqlSafe(lift))
            .execute(&mut *tx)
            .await?;
    }
    for (table, _, _) in rows.iter().rev() {
        let delete = format!("delete from public.{table} where tenant_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(delete))
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
    }
    let started = Instant::now();
    for (table, columns, chunks) in rows {
        let mut copy = tx
            .copy_in_raw(&format!("copy public.{table} ({columns}) from stdin"))
            .await?;
        for chunk in chunks {
            copy.send(chunk.as_slice()).await?;
        }
        copy.finish().await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    tx.rollback().await?;
    Ok(seconds)
}

/// An incident, untimed: a tenth of the variants repriced and a tenth of the products
/// deleted (their variants with them), as a bad bulk edit would.
async fn damage(owner: &TenantDb, tenant: TenantId) -> anyhow::Result<()> {
    let mut tx = owner.begin(tenant).await?;
    sqlx::query(
        "update variants set price_minor = price_minor + 1 where abs(hashtext(id::text)) % 10 = 0",
    )
    .execute(&mut tx)
    .await?;
    sqlx::query("delete from products where abs(hashtext(id::text)) % 10 = 1")
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The worst case, untimed: every row of the tenant deleted, so the restore inserts all.
async fn empty(
    owner: &TenantDb,
    tenant: TenantId,
    rows: &[(String, String, Vec<Vec<u8>>)],
) -> anyhow::Result<()> {
    let mut tx = owner.begin(tenant).await?;
    for (table, _, _) in rows.iter().rev() {
        let delete = format!("delete from public.{table}");
        sqlx::query(sqlx::AssertSqlSafe(delete))
            .execute(&mut tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Backup and restore throughput against the dev Garage.
#[derive(clap::Parser)]
struct Args {
    /// Rows of the measured tenant (half products, half variants).
    #[arg(long, default_value_t = 1_000_000)]
    rows: i64,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args { rows, .. } = clap::Parser::parse();
    let db = TestDb::new().await?;
    let owner = TenantDb::new(db.owner_pool().await?);
    let (tenant, other) = (TenantId::random(), TenantId::random());
    println!("filling {rows} rows…");
    fill(&owner, tenant, "bench", rows).await?;
    fill(&owner, other, "other", rows / 10).await?;
    let mut su = db.superuser().await?;
    sqlx::raw_sql("vacuum analyze").execute(&mut su).await?;

    let s = platform_testkit::s3_settings().map_err(anyhow::Error::msg)?;
    let store = ObjectStore::new(&S3Config {
        endpoint: Some(s.endpoint),
        region: s.region,
        bucket: "platform-bench".to_owned(),
        access_key_id: s.access_key_id,
        secret_access_key: SecretString::from(s.secret_access_key),
        path_style: true,
    });
    store.ensure_bucket().await?;
    let backup_db = TenantDb::new(db.pool_as("backup", 4).await?);
    let backups = Backups::new(
        backup_db.clone(),
        Vault::new(Arc::new(LocalKek::generate(1))),
        store,
    );
    let tables = baseline_tables(&mut su).await?;
    let url = admin_url(&db);

    let (mut base_s, mut backup_s) = (Vec::new(), Vec::new());
    let mut last = None;
    for round in 0..3 {
        let t = Instant::now();
        for table in &tables {
            let copy = format!(
                "\\copy (select * from public.{table} where tenant_id = '{tenant}') to stdout"
            );
            let status = std::process::Command::new("sh")
                .arg("-c")
                .arg("psql -X -q \"$1\" -c \"$2\" | zstd -3 -q > /dev/null")
                .arg("sh")
                .arg(&url)
                .arg(&copy)
                .status()?;
            anyhow::ensure!(status.success(), "baseline failed on {table}");
        }
        base_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let m = backups.run(tenant).await?;
        backup_s.push(t.elapsed().as_secs_f64());
        println!(
            "round {round}: baseline {:.2} s, backup {:.2} s",
            base_s[round], backup_s[round]
        );
        last = Some(m);
    }
    let m = last.context("no backup")?;
    let mb = m.plaintext_bytes as f64 / 1e6;
    let t = Instant::now();
    backups.verify(tenant, &m.backup_id).await?;
    let verify_s = t.elapsed().as_secs_f64();
    let rows_by_table = tenant_rows(&mut su, tenant, &tables).await?;
    let mut copy_s = Vec::new();
    let (mut same_s, mut tenth_s, mut empty_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut changed = serde_json::Map::new();
    for round in 0..2 {
        copy_s.push(copy_baseline(&db, tenant, &rows_by_table).await?);
        let mut restore = async |case: &str, into: &mut Vec<f64>| -> anyhow::Result<()> {
            let t = Instant::now();
            let r = backups.restore(tenant, &m.backup_id, None).await?;
            into.push(t.elapsed().as_secs_f64());
            anyhow::ensure!(
                r.rows == m.rows(),
                "restored {} of {} rows",
                r.rows,
                m.rows()
            );
            changed.insert(case.to_owned(), json!(r.rows_changed));
            Ok(())
        };
        restore("unchanged", &mut same_s).await?;
        damage(&owner, tenant).await?;
        restore("tenth_changed", &mut tenth_s).await?;
        empty(&owner, tenant, &rows_by_table).await?;
        restore("emptied", &mut empty_s).await?;
        println!(
            "round {round}: restore baseline (COPY FROM) {:.2} s; restore over unchanged rows \
             {:.2} s, over a tenth changed {:.2} s, into the emptied shop {:.2} s",
            copy_s[round], same_s[round], tenth_s[round], empty_s[round]
        );
    }
    let copy = median(copy_s.clone());
    let (base, back) = (median(base_s), median(backup_s));
    let (same, tenth, emptied) = (
        median(same_s.clone()),
        median(tenth_s.clone()),
        median(empty_s.clone()),
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "rows": m.rows(),
            "plaintext_mb": mb,
            "object_mb": m.object_bytes as f64 / 1e6,
            "baseline_s": base,
            "baseline_mb_s": mb / base,
            "backup_s": back,
            "backup_mb_s": mb / back,
            "backup_vs_baseline": base / back,
            "verify_s": verify_s,
            "verify_mb_s": mb / verify_s,
            "restore_baseline_copy_s": copy,
            "restore_baseline_runs_s": copy_s,
            "restore_baseline_mb_s": mb / copy,
            "restore_unchanged_s": same,
            "restore_unchanged_runs_s": same_s,
            "restore_tenth_changed_s": tenth,
            "restore_tenth_changed_runs_s": tenth_s,
            "restore_emptied_s": emptied,
            "restore_emptied_runs_s": empty_s,
            "restore_emptied_mb_s": mb / emptied,
            "restore_emptied_vs_baseline": copy / emptied,
            "restore_tenth_changed_vs_baseline": copy / tenth,
            "rows_changed": changed,
        }))?
    );
    Ok(())
}
