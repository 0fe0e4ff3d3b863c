//! Checkout load (docs/benchmarks.md, "Checkout").
//!
//! Drives the running stack (`cargo xtask seed --tenants 100 --products 1000`, then
//! `cargo xtask up --release`) the way the storefront and the processor do: N concurrent
//! buyers over the 100 seeded shops, each checkout being
//! 1. placing an order through the orders API (mTLS, the storefront's certificate, a
//!    fresh `Idempotency-Key`: one transaction with the stock, the number, the sealed
//!    details, the outbox row);
//! 2. starting its payment (orders signs a request to the processor simulator and
//!    verifies its signed answer);
//! 3. paying on the processor's page with a test card; the processor then posts its
//!    signed webhook to orders, which captures the payment in one transaction.
//!
//! Afterwards it waits until every paid checkout's order is `paid` (the webhooks are
//! asynchronous) and counts orders: none may be lost (an order answered 201 missing) or
//! doubled (more orders than 201 answers).
//!
//! In the same run, the baseline: `pgbench` (same Postgres, same connection count, the
//! `orders` role under row-level security) on the same transaction shape
//! (`loadtests/pgbench/checkout.sql`: placement and capture).
//!
//! Run: `cargo run --release -p loadtests --bin checkout-load -- \
//!         [--connections 16] [--seconds 20] [--warmup 5] [--tenants 100]`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use loadtests::Latencies;
use rand::RngExt;
use serde_json::{Value, json};
use sqlx::Row;

/// Drives checkouts, beside a same-run pgbench baseline.
#[derive(Clone, clap::Parser)]
struct Args {
    /// Concurrent buyers (and pgbench clients).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Seeded shops (`load-0001`…).
    #[arg(long, default_value_t = 100)]
    tenants: usize,
    /// The orders service's port.
    #[arg(long, default_value_t = 8447)]
    orders_port: u16,
    /// The processor's origin.
    #[arg(long, default_value = "https://pay.localhost:8446")]
    processor: String,
    /// Skip the pgbench baseline.
    #[arg(long)]
    no_baseline: bool,
}

/// Variants per shop the buyers choose from.
const VARIANTS_PER_SHOP: usize = 20;
/// Flat shipping to Germany in every load shop.
const SHIPPING: i64 = 490;

struct Shop {
    tenant: String,
    rate: String,
    variants: Vec<(String, i64)>,
}

fn dev_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dev")
}

async fn superuser() -> anyhow::Result<sqlx::PgPool> {
    let options = platform_testkit::admin_options()?.database("platform");
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await?)
}

/// Gives every load shop a flat rate to Germany and plenty of stock on the variants the
/// buyers pick; returns them.
async fn prepare(db: &sqlx::PgPool, a: &Args) -> anyhow::Result<Vec<Shop>> {
    let mut shops = Vec::new();
    for t in 1..=a.tenants {
        let handle = format!("load-{t:04}");
        let tenant: uuid::Uuid = sqlx::query_scalar("select id from tenants where handle = $1")
            .bind(&handle)
            .fetch_optional(db)
            .await?
            .with_context(|| {
                format!("{handle} is missing: run `cargo xtask seed --tenants 100 --products 1000`")
            })?;
        sqlx::query(
            "insert into shipping_rates (tenant_id, id, country, name, price_minor) \
             values ($1, gen_random_uuid(), 'DE', 'Standard', $2) \
             on conflict (tenant_id, country, name) do nothing",
        )
        .bind(tenant)
        .bind(SHIPPING)
        .execute(db)
        .await?;
        let rate: uuid::Uuid = sqlx::query_scalar(
            "select id from shipping_rates where tenant_id = $1 and country = 'DE' and name = 'Standard'",
        )
        .bind(tenant)
        .fetch_one(db)
        .await?;
        let rows = sqlx::query(
            "update variants v set stock = 1000000 from products p \
             where p.tenant_id = $1 and v.tenant_id = p.tenant_id and v.product_id = p.id \
               and p.handle = any($2) \
             returning v.id, v.price_minor",
        )
        .bind(tenant)
        .bind(
            (1..=VARIANTS_PER_SHOP)
                .map(|n| format!("product-{n}"))
                .collect::<Vec<_>>(),
        )
        .fetch_all(db)
        .await?;
        let variants = rows
            .iter()
            .map(|r| (r.get::<uuid::Uuid, _>(0).to_string(), r.get::<i64, _>(1)))
            .collect::<Vec<_>>();
        anyhow::ensure!(!variants.is_empty(), "{handle} has no products");
        shops.push(Shop {
            tenant: tenant.to_string(),
            rate: rate.to_string(),
            variants,
        });
    }
    Ok(shops)
}

fn orders_client() -> anyhow::Result<reqwest::Client> {
    let certs = dev_dir().join("certs");
    let tls = platform_web::tls::client_config(
        &certs.join("ca.pem"),
        Some((
            &certs.join("storefront-client.pem"),
            &certs.join("storefront-client-key.pem"),
        )),
    )?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

fn processor_client(origin: &str) -> anyhow::Result<reqwest::Client> {
    let tls = platform_web::tls::client_config(&dev_dir().join("paysim/ca.pem"), None)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(host) = origin
        .strip_prefix("https://")
        .and_then(|h| h.split(':').next())
    {
        builder = builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    Ok(builder.build()?)
}

fn order_body(shop: &Shop, variant: &(String, i64)) -> Value {
    json!({
        "lines": [{ "variant_id": variant.0, "quantity": 1 }],
        "contact": { "name": "Ada Lovelace", "email": "ada@example.org", "phone": "" },
        "shipping": { "name": "Ada Lovelace", "line1": "Hauptstraße 1", "postal_code": "10115",
                      "city": "Berlin", "country": "DE" },
        "shipping_rate_id": shop.rate,
        "expected_total_minor": variant.1 + SHIPPING,
        "buyer_ip": "203.0.113.7",
    })
}

/// What one buyer did.
#[derive(Default)]
struct Tally {
    place: Latencies,
    pay: Latencies,
    checkout: Latencies,
    placed: Vec<String>,
    paid: u64,
    errors: u64,
}

async fn buyer(
    i: usize,
    a: Args,
    shops: Arc<Vec<Shop>>,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<Tally> {
    let (orders, pay) = (orders_client()?, processor_client(&a.processor)?);
    let base = format!("https://localhost:{}", a.orders_port);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(i as u64 + 7);
    let mut tally = Tally::default();
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let shop = &shops[rng.random_range(0..shops.len())];
        let variant = &shop.variants[rng.random_range(0..shop.variants.len())];
        let placed = orders
            .post(format!("{base}/v1/shops/{}/orders", shop.tenant))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&order_body(shop, variant))
            .send()
            .await;
        let placed: Option<Value> = match placed {
            Ok(r) if r.status() == reqwest::StatusCode::CREATED => r.json().await.ok(),
            _ => None,
        };
        let t1 = Instant::now();
        let Some(placed) = placed else {
            if t0 >= measure_from {
                tally.errors += 1;
            }
            continue;
        };
        let id = placed["order_id"].as_str().unwrap_or_default().to_owned();
        let code = placed["public_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let started: Option<Value> = match orders
            .post(format!(
                "{base}/v1/shops/{}/orders/by-code/{code}/payment",
                shop.tenant
            ))
            .json(&json!({ "return_url": format!("https://load.shop.localhost/orders/{code}/return") }))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        let paid = match started.as_ref().and_then(|s| s["pay_url"].as_str()) {
            Some(url) => pay
                .post(url)
                .form(&[
                    ("number", "4242424242424242"),
                    ("exp", "12/34"),
                    ("cvc", "123"),
                ])
                .send()
                .await
                .is_ok_and(|r| r.status() == reqwest::StatusCode::SEE_OTHER),
            None => false,
        };
        if t0 >= measure_from {
            tally.placed.push(id);
            if paid {
                tally.place.record(t1 - t0);
                tally.pay.record(t1.elapsed());
                tally.checkout.record(t0.elapsed());
                tally.paid += 1;
            } else {
                tally.errors += 1;
            }
        }
    }
    Ok(tally)
}

async fn run(a: &Args, shops: Arc<Vec<Shop>>, db: &sqlx::PgPool) -> anyhow::Result<Value> {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let end = measure_from + Duration::from_secs(a.seconds);
    let tasks: Vec<_> = (0..a.connections)
        .map(|i| tokio::spawn(buyer(i, a.clone(), shops.clone(), measure_from, end)))
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        let one = t.await??;
        all.place.merge(&one.place);
        all.pay.merge(&one.pay);
        all.checkout.merge(&one.checkout);
        all.placed.extend(one.placed);
        all.paid += one.paid;
        all.errors += one.errors;
    }
    // The webhooks land after the buyers are back: wait for every measured paid order.
    let ids: Vec<uuid::Uuid> = all.placed.iter().filter_map(|s| s.parse().ok()).collect();
    let waited = Instant::now();
    let (found, paid) = loop {
        let row = sqlx::query(
            "select count(*), count(*) filter (where status = 'paid') from orders where id = any($1)",
        )
        .bind(&ids)
        .fetch_one(db)
        .await?;
        let (found, paid): (i64, i64) = (row.get(0), row.get(1));
        if paid >= i64::try_from(all.paid)? || waited.elapsed() > Duration::from_secs(60) {
            break (found, paid);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let captures: i64 = sqlx::query_scalar(
        "select count(*) from order_events where kind = 'payment_captured' and order_id = any($1)",
    )
    .bind(&ids)
    .fetch_one(db)
    .await?;
    let secs = a.seconds as f64;
    let ms = |d: Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
    let summary = |l: &Latencies| {
        json!({
            "per_second": (l.len() as f64 / secs * 10.0).round() / 10.0,
            "p50_ms": ms(l.quantile(0.5)),
            "p99_ms": ms(l.quantile(0.99)),
        })
    };
    Ok(json!({
        "connections": a.connections,
        "checkouts": all.checkout.len(),
        "errors": all.errors,
        "checkout": summary(&all.checkout),
        "place_order": summary(&all.place),
        "start_payment_and_pay": summary(&all.pay),
        "orders_answered_201": ids.len(),
        "orders_found": found,
        "lost": i64::try_from(ids.len())? - found,
        "paid_by_webhook_or_return": paid,
        "captures_recorded": captures,
        "duplicate_captures": captures - paid,
        "webhooks_settled_ms": waited.elapsed().as_millis(),
    }))
}

/// `pgbench` on the same transaction shape, as the `orders` role.
async fn pgbench(a: &Args, shops: &[Shop], db: &sqlx::PgPool) -> anyhow::Result<Value> {
    sqlx::query("create schema if not exists bench")
        .execute(db)
        .await?;
    sqlx::query("drop table if exists bench.targets")
        .execute(db)
        .await?;
    sqlx::query(
        "create table bench.targets (n int primary key, tenant text, variant text, price bigint)",
    )
    .execute(db)
    .await?;
    let mut n = 0;
    for shop in shops {
        for v in &shop.variants {
            n += 1;
            sqlx::query("insert into bench.targets values ($1, $2, $3, $4)")
                .bind(n)
                .bind(&shop.tenant)
                .bind(&v.0)
                .bind(v.1)
                .execute(db)
                .await?;
        }
    }
    sqlx::query("grant usage on schema bench to orders")
        .execute(db)
        .await?;
    sqlx::query("grant select on bench.targets to orders")
        .execute(db)
        .await?;
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pgbench/checkout.sql");
    let text =
        std::fs::read_to_string(&script)?.replace("random(1, 2000)", &format!("random(1, {n})"));
    let tmp = std::env::temp_dir().join("checkout-bench.sql");
    std::fs::write(&tmp, text)?;
    let out = std::process::Command::new("pgbench")
        .env("PGPASSWORD", platform_testkit::dev_password("orders"))
        .args([
            "-n",
            "-M",
            "extended",
            "-h",
            "127.0.0.1",
            "-U",
            "orders",
            "-c",
        ])
        .arg(a.connections.to_string())
        .args(["-j", "2", "-T"])
        .arg(a.seconds.to_string())
        .arg("-f")
        .arg(&tmp)
        .arg("platform")
        .output()
        .context("pgbench (Debian's postgresql-client) is needed for the baseline")?;
    sqlx::query("drop schema bench cascade").execute(db).await?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    let find = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split(['=', ':']).nth(1))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    Ok(json!({
        "connections": a.connections,
        "tps": find("tps"),
        "latency_average_ms": find("latency average"),
        "failed": find("number of failed transactions"),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Args = clap::Parser::parse();
    let db = superuser().await?;
    let shops = Arc::new(prepare(&db, &args).await?);
    let checkout = run(&args, shops.clone(), &db).await?;
    let baseline = if args.no_baseline {
        Value::Null
    } else {
        pgbench(&args, &shops, &db).await?
    };
    let ratio = match (
        checkout["checkout"]["per_second"].as_f64(),
        baseline["tps"].as_f64(),
    ) {
        (Some(c), Some(b)) if b > 0.0 => Some((c / b * 1000.0).round() / 10.0),
        _ => None,
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "checkout": checkout,
            "pgbench_same_shape": baseline,
            "checkout_percent_of_pgbench": ratio,
        }))?
    );
    Ok(())
}
