//! Cart load (docs/benchmarks.md, "Carts").
//!
//! Drives the running stack (`cargo xtask seed --tenants 100 --products 1000`, then
//! `cargo xtask up --release`) through the storefront over HTTPS/1.1: N concurrent
//! visitors, each a sequential keep-alive client with its own cart cookie in one of the
//! 100 shops. A step is "add to cart" (form POST, answered 303; the storefront calls the
//! cart service over mTLS, which reads the variant in Postgres and runs the Lua add in
//! Redis) followed by "view cart" (the cart page: lines priced from Postgres at read
//! time). After 10 steps a visitor leaves and a new one arrives in another shop.
//!
//! In the same run, the baseline: `redis-benchmark` (same Redis, same connection count)
//! on the equivalent bare Redis commands, an `EVAL` that increments a line and renews
//! the TTL of one cart's keys (10 minutes, so its keys vanish) and an `HGETALL` of the lines.
//!
//! Run: `cargo run --release -p loadtests --bin cart-load -- \
//!         [--connections 64] [--seconds 20] [--warmup 5] [--port 8443] [--tenants 100]`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use loadtests::{Latencies, shop_client};
use rand::RngExt;
use serde_json::json;

/// Drives the storefront's cart pages, beside a same-run Redis baseline.
#[derive(Clone, clap::Parser)]
struct Args {
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// The storefront's HTTPS port.
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Seeded shops (`load-0001`…).
    #[arg(long, default_value_t = 100)]
    tenants: usize,
}

const PRODUCTS_PER_SHOP: usize = 20;
const STEPS_PER_VISITOR: usize = 10;

/// Variant ids of the first products of every shop, from the storefront's JSON API.
async fn variants(c: &reqwest::Client, a: &Args) -> anyhow::Result<Vec<Vec<String>>> {
    let mut shops = Vec::new();
    for t in 1..=a.tenants {
        let mut ids = Vec::new();
        for p in 1..=PRODUCTS_PER_SHOP {
            let url = format!(
                "https://load-{t:04}.shop.localhost:{}/api/v1/products/product-{p}",
                a.port
            );
            let v: serde_json::Value = c.get(&url).send().await?.json().await?;
            let id = v["variants"][0]["id"]
                .as_str()
                .with_context(|| format!("no variant at {url}: is the shop seeded?"))?;
            ids.push(id.to_owned());
        }
        shops.push(ids);
    }
    Ok(shops)
}

fn random_cart(rng: &mut impl rand::Rng) -> String {
    format!("{:032x}", rng.random::<u128>())
}

async fn run(
    a: &Args,
    ca: &str,
    shops: Arc<Vec<Vec<String>>>,
) -> anyhow::Result<serde_json::Value> {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let end = measure_from + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for i in 0..a.connections {
        let c = shop_client(ca, a.port, a.tenants)?;
        let (a, shops) = (a.clone(), shops.clone());
        tasks.push(tokio::spawn(async move {
            let (mut add, mut view, mut step) = (
                Latencies::default(),
                Latencies::default(),
                Latencies::default(),
            );
            let mut errors = 0u64;
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(i as u64);
            // Shops and products repeat from run to run; carts are new each run (carts
            // live 30 days in Redis: reused ids would pile quantities up past the stock).
            let mut carts = <rand::rngs::StdRng as rand::SeedableRng>::from_rng(&mut rand::rng());
            let (mut shop, mut cart) = (1, random_cart(&mut carts));
            for n in 0.. {
                if n % STEPS_PER_VISITOR == 0 {
                    shop = rng.random_range(1..=a.tenants);
                    cart = random_cart(&mut carts);
                }
                let host = format!("https://load-{shop:04}.shop.localhost:{}", a.port);
                let variant = &shops[shop - 1][rng.random_range(0..PRODUCTS_PER_SHOP)];
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let added = c
                    .post(format!("{host}/cart/add"))
                    .header("cookie", format!("cart={cart}"))
                    .form(&[("variant", variant.as_str()), ("quantity", "1")])
                    .send()
                    .await
                    .map(|r| r.status() == reqwest::StatusCode::SEE_OTHER)
                    .unwrap_or(false);
                let t1 = Instant::now();
                let viewed = match c
                    .get(format!("{host}/cart"))
                    .header("cookie", format!("cart={cart}"))
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if t0 >= measure_from {
                    if added && viewed {
                        add.record(t1 - t0);
                        view.record(t1.elapsed());
                        step.record(t0.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            (add, view, step, errors)
        }));
    }
    let (mut add, mut view, mut step, mut errors) = (
        Latencies::default(),
        Latencies::default(),
        Latencies::default(),
        0,
    );
    for t in tasks {
        let (a1, v1, s1, e) = t.await?;
        add.merge(&a1);
        view.merge(&v1);
        step.merge(&s1);
        errors += e;
    }
    let secs = a.seconds as f64;
    let ms = |d: Duration| (d.as_secs_f64() * 1e4).round() / 10.0;
    let summary = |l: &Latencies| {
        json!({
            "per_second": (l.len() as f64 / secs).round(),
            "p50_ms": ms(l.quantile(0.5)),
            "p99_ms": ms(l.quantile(0.99)),
        })
    };
    Ok(json!({
        "connections": a.connections,
        "steps": step.len(),
        "errors": errors,
        "add_to_cart": summary(&add),
        "view_cart": summary(&view),
        "add_then_view": summary(&step),
    }))
}

/// `redis-benchmark` on the bare Redis work of one add and one view, same connections.
fn redis_baseline(a: &Args) -> anyhow::Result<serde_json::Value> {
    let add_script = "local q = redis.call('HINCRBY', KEYS[1], ARGV[1], 1) \
                      for i = 1, 4 do redis.call('EXPIRE', KEYS[i], 600) end return q";
    let mut results = serde_json::Map::new();
    for (name, command) in [
        (
            "eval_add",
            vec![
                "EVAL",
                add_script,
                "4",
                "cart:{__rand_int__}:lines",
                "cart:{__rand_int__}:seen",
                "cart:{__rand_int__}:meta",
                "cart:{__rand_int__}:prefill",
                "variant",
            ],
        ),
        ("hgetall_view", vec!["HGETALL", "cart:{__rand_int__}:lines"]),
    ] {
        let out = std::process::Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", "6379", "-c"])
            .arg(a.connections.to_string())
            .args(["-n", "200000", "-r", "100000", "--csv"])
            .args(&command)
            .output()
            .context("redis-benchmark (Debian's redis-tools) is needed for the baseline")?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        // The test name may itself contain commas (the script): the seven numbers are
        // the last fields of the row.
        let line = text
            .lines()
            .last()
            .context("no output from redis-benchmark")?;
        let fields: Vec<f64> = line
            .rsplitn(8, ',')
            .take(7)
            .map(|f| f.trim_matches('"').parse::<f64>().unwrap_or(0.0))
            .collect();
        // rsplitn yields from the end: max, p99, p95, p50, min, avg, rps.
        let num = |from_end: usize| fields.get(from_end).copied().unwrap_or(0.0);
        results.insert(
            name.to_owned(),
            json!({ "per_second": num(6), "p50_ms": num(3), "p99_ms": num(1) }),
        );
    }
    Ok(serde_json::Value::Object(results))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Args = clap::Parser::parse();
    let dev = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dev");
    let ca =
        std::fs::read_to_string(dev.join("certs/ca.pem")).context("run `cargo xtask up` first")?;
    let probe = shop_client(&ca, args.port, args.tenants)?;
    let shops = Arc::new(variants(&probe, &args).await?);
    let baseline = redis_baseline(&args)?;
    let carts = run(&args, &ca, shops).await?;
    let ratio = carts["add_then_view"]["per_second"].as_f64().unwrap_or(0.0)
        / baseline["eval_add"]["per_second"]
            .as_f64()
            .unwrap_or(1.0)
            .max(1.0);
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "redis_benchmark_baseline": baseline,
            "storefront_carts": carts,
            "add_then_view_to_redis_eval_throughput": (ratio * 1000.0).round() / 1000.0,
        }))?
    );
    Ok(())
}
