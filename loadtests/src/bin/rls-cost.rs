//! The cost of row-level security (docs/benchmarks.md, "RLS").
//!
//! In a throw-away database: a tenant table with 2,000,000 rows (1,000,000 of the
//! measured tenant, 1,000,000 spread over nine others), RLS forced exactly as in
//! migrations/. One indexed point query per transaction, measured three ways, in
//! interleaved rounds so drift hits all of them alike:
//!
//! - `rls`: the service role through the tenancy API (`BEGIN; set_config` in one round
//!   trip, the query filtered only by the policy, `COMMIT`);
//! - `rls_and_filter`: the same, with the query also saying `tenant_id = $1`;
//! - `explicit`: RLS not applied (the superuser; the owner is bound by FORCE RLS in our
//!   schema), `BEGIN`, the query with `WHERE tenant_id = $1`, `COMMIT`.
//!
//! Run: `cargo run --release -p loadtests --bin rls-cost -- [--rounds 20]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

use loadtests::Latencies;
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use serde_json::json;
use sqlx::Connection;
use sqlx::postgres::PgPoolOptions;

const PER_ROUND: usize = 1_000;

const SETUP: &str = "
create table bench_items (
    tenant_id uuid not null,
    id uuid not null default gen_random_uuid(),
    sku text not null,
    title text not null,
    price_minor bigint not null,
    primary key (tenant_id, id),
    unique (tenant_id, sku)
);
alter table bench_items enable row level security;
alter table bench_items force row level security;
create policy tenant_isolation on bench_items
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
grant select on bench_items to storefront;
";

fn sku(i: u64) -> String {
    format!("SKU-{i:07}")
}

/// The cost of row-level security on the storefront's hot queries.
#[derive(clap::Parser)]
struct Args {
    /// Measured rounds.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args { rounds } = clap::Parser::parse();
    let db = TestDb::new().await?;
    let measured = TenantId::random();
    let mut su = db.superuser().await?;
    sqlx::raw_sql(SETUP).execute(&mut su).await?;
    let started = Instant::now();
    sqlx::query(
        "insert into bench_items (tenant_id, sku, title, price_minor) \
         select $1, 'SKU-' || lpad(i::text, 7, '0'), 'Product ' || i, (i % 10000) + 100 \
         from generate_series(1, 1000000) as i",
    )
    .bind(measured)
    .execute(&mut su)
    .await?;
    for _ in 0..9 {
        sqlx::query(
            "insert into bench_items (tenant_id, sku, title, price_minor) \
             select $1, 'SKU-' || lpad(i::text, 7, '0'), 'Product ' || i, i \
             from generate_series(1, 111111) as i",
        )
        .bind(TenantId::random())
        .execute(&mut su)
        .await?;
    }
    sqlx::raw_sql("vacuum analyze bench_items")
        .execute(&mut su)
        .await?;
    eprintln!("loaded 2,000,000 rows in {:?}", started.elapsed());

    let service = TenantDb::new(db.pool_as("storefront", 1).await?);
    let explicit_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.superuser_options())
        .await?;

    let plan: Vec<String> = {
        let mut tx = service.begin(measured).await?;
        let rows: Vec<String> = sqlx::query_scalar(
            "explain (analyze, costs off, timing off, summary off) \
             select id, title, price_minor from bench_items where sku = $1",
        )
        .bind(sku(4242))
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        rows
    };

    let (mut rls, mut rls_and_filter, mut explicit) = (
        Latencies::default(),
        Latencies::default(),
        Latencies::default(),
    );
    let mut i: u64 = 0;
    // One warm-up round, not recorded.
    for round in 0..=rounds {
        let record = round > 0;
        for _ in 0..PER_ROUND {
            i = (i * 7919 + 104_729) % 1_000_000 + 1;
            let s = sku(i);

            let t = Instant::now();
            let mut tx = service.begin(measured).await?;
            let row: Option<(uuid::Uuid, String, i64)> =
                sqlx::query_as("select id, title, price_minor from bench_items where sku = $1")
                    .bind(&s)
                    .fetch_optional(&mut tx)
                    .await?;
            tx.commit().await?;
            anyhow::ensure!(row.is_some(), "rls path lost row {s}");
            if record {
                rls.record(t.elapsed());
            }

            let t = Instant::now();
            let mut tx = service.begin(measured).await?;
            let row: Option<(uuid::Uuid, String, i64)> = sqlx::query_as(
                "select id, title, price_minor from bench_items where tenant_id = $1 and sku = $2",
            )
            .bind(measured)
            .bind(&s)
            .fetch_optional(&mut tx)
            .await?;
            tx.commit().await?;
            anyhow::ensure!(row.is_some(), "rls+filter path lost row {s}");
            if record {
                rls_and_filter.record(t.elapsed());
            }

            let t = Instant::now();
            let mut tx = explicit_pool.begin().await?;
            let row: Option<(uuid::Uuid, String, i64)> = sqlx::query_as(
                "select id, title, price_minor from bench_items where tenant_id = $1 and sku = $2",
            )
            .bind(measured)
            .bind(&s)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            anyhow::ensure!(row.is_some(), "explicit path lost row {s}");
            if record {
                explicit.record(t.elapsed());
            }
        }
    }
    su.close().await?;

    let ratio = |a: &Latencies, b: &Latencies, q: f64| {
        (a.quantile(q).as_secs_f64() / b.quantile(q).as_secs_f64() * 1000.0).round() / 1000.0
    };
    let out = json!({
        "rows_in_table": 2_000_000,
        "rows_of_tenant": 1_000_000,
        "transactions_per_path": rls.len(),
        "rls": rls.summary(),
        "rls_and_filter": rls_and_filter.summary(),
        "explicit": explicit.summary(),
        "ratio_rls_to_explicit": { "p50": ratio(&rls, &explicit, 0.5), "p99": ratio(&rls, &explicit, 0.99),
            "mean": ((rls.mean().as_secs_f64() / explicit.mean().as_secs_f64()) * 1000.0).round() / 1000.0 },
        "plan_rls": plan,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
