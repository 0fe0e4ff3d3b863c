//! Storefront load (docs/benchmarks.md, "Storefront").
//!
//! Drives the running storefront (`cargo xtask up --release`, after
//! `cargo xtask seed --tenants 100 --products 1000`) over HTTPS/1.1 with N concurrent
//! visitors, each a sequential keep-alive client: a visitor makes 20 requests in one shop
//! chosen at random, then moves to another (a new TLS connection, as for any other host),
//! picking products uniformly at random. The baseline sees the same pattern of host names.
//! It measures product pages on a cold page cache, then fetches every page once (the
//! prewarm) and measures product pages and the mix (home, list, product, search) warm.
//! In the same run it measures the baseline: a bare axum handler returning a static page
//! of the same size through the same rustls listener (`platform_web::BoundServer`), run
//! as a separate process like the storefront.
//!
//! Run: `cargo run --release -p loadtests --bin storefront-load -- \
//!         [--connections 64] [--seconds 20] [--warmup 10] [--port 8443] [--tenants 100] [--products 1000]`

#![allow(clippy::print_stdout)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use loadtests::{Latencies, shop_client};
use rand::RngExt;
use serde_json::json;

/// Drives the running storefront with a mix of visits, beside a same-run baseline.
#[derive(Clone, clap::Parser)]
struct Args {
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 10)]
    warmup: u64,
    /// The storefront's HTTPS port.
    #[arg(long, default_value_t = 8443)]
    port: u16,
    /// Seeded shops (`load-0001`…).
    #[arg(long, default_value_t = 100)]
    tenants: usize,
    /// Products per seeded shop.
    #[arg(long, default_value_t = 1000)]
    products: usize,
    /// Internal: serve the baseline page of this size instead of measuring.
    #[arg(long, hide = true)]
    serve_baseline: Option<usize>,
}

fn dev_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dev")
}

/// Requests a visitor makes in one shop before moving to another (a new connection,
/// as a browser would open for another host name).
const VISIT: usize = 20;

/// What one scenario request asks for, in shop `t`.
fn pick(scenario: &str, a: &Args, t: usize, rng: &mut impl rand::Rng) -> String {
    let p = rng.random_range(1..=a.products);
    let host = format!("https://load-{t:04}.shop.localhost:{}", a.port);
    let path = match scenario {
        "product" => format!("/products/product-{p}"),
        "baseline" => format!("/products/product-{p}"),
        _ => match rng.random_range(0..4) {
            0 => "/".to_owned(),
            1 => "/products".to_owned(),
            2 => format!("/products/product-{p}"),
            _ => format!("/search?q=product+{}", rng.random_range(1..=a.products)),
        },
    };
    format!("{host}{path}")
}

async fn run(scenario: &str, a: &Args, ca: &str) -> anyhow::Result<serde_json::Value> {
    let a = Arc::new(a.clone());
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let end = measure_from + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for i in 0..a.connections {
        let c = shop_client(ca, a.port, a.tenants)?;
        let (a, scenario) = (a.clone(), scenario.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::default();
            let mut errors = 0u64;
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(i as u64);
            let mut shop = rng.random_range(1..=a.tenants);
            for n in 0.. {
                if n % VISIT == 0 {
                    shop = rng.random_range(1..=a.tenants);
                }
                let url = pick(&scenario, &a, shop, &mut rng);
                let t = Instant::now();
                if t >= end {
                    break;
                }
                let ok = match c.get(&url).header("accept", "text/html").send().await {
                    Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if t >= measure_from {
                    if ok {
                        lat.record(t.elapsed())
                    } else {
                        errors += 1
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Latencies::default();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await?;
        all.merge(&lat);
        errors += e;
    }
    let secs = a.seconds as f64;
    Ok(json!({
        "scenario": scenario,
        "connections": a.connections,
        "requests": all.len(),
        "errors": errors,
        "throughput_rps": (all.len() as f64 / secs).round(),
        "p50_ms": (all.quantile(0.5).as_secs_f64() * 1e4).round() / 10.0,
        "p99_ms": (all.quantile(0.99).as_secs_f64() * 1e4).round() / 10.0,
    }))
}

/// Fetches every product page once (and each shop's home and list page), spread over
/// the connections, so the measured run sees the steady state of a warm page cache.
async fn prewarm(a: &Args, ca: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut urls = Vec::new();
    for t in 1..=a.tenants {
        let host = format!("https://load-{t:04}.shop.localhost:{}", a.port);
        urls.push(format!("{host}/"));
        urls.push(format!("{host}/products"));
        for p in 1..=a.products {
            urls.push(format!("{host}/products/product-{p}"));
        }
    }
    let urls = Arc::new(urls);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let (c, urls, next) = (
            shop_client(ca, a.port, a.tenants)?,
            urls.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(url) = urls.get(i) else { break };
                if let Ok(res) = c.get(url).header("accept", "text/html").send().await {
                    let _ = res.bytes().await;
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

async fn serve_baseline(size: usize) -> anyhow::Result<()> {
    let certs = dev_dir().join("certs");
    let page: &'static str = Box::leak(
        format!(
            "<!doctype html><html><body>{}</body></html>",
            "x".repeat(size.saturating_sub(40))
        )
        .into_boxed_str(),
    );
    let app = axum::Router::new().fallback(move || async move { axum::response::Html(page) });
    let server = platform_web::BoundServer::bind(&platform_web::ServerConfig {
        https_addr: "127.0.0.1:0".parse()?,
        http_redirect: None,
        public_https_port: None,
        tls_cert: certs.join("server.pem"),
        tls_key: certs.join("server-key.pem"),
        client_ca: None,
        require_client_cert: false,
    })?;
    println!("{}", server.https_port());
    server.serve(app, std::future::pending()).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Args = clap::Parser::parse();
    if let Some(size) = args.serve_baseline {
        return serve_baseline(size).await;
    }
    let ca = std::fs::read_to_string(dev_dir().join("certs/ca.pem"))
        .context("run `cargo xtask up` first")?;
    // Size of a real product page, for the baseline.
    let probe = shop_client(&ca, args.port, args.tenants)?;
    let sample = probe
        .get(format!(
            "https://load-0001.shop.localhost:{}/products/product-1",
            args.port
        ))
        .send()
        .await
        .context("is the storefront running, and seeded with `cargo xtask seed`?")?;
    if !sample.status().is_success() {
        bail!("sample product page answered {}", sample.status());
    }
    let size = sample.bytes().await?.len();

    let exe = std::env::current_exe()?;
    let mut child = tokio::process::Command::new(exe)
        .args(["--serve-baseline", &size.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut line = String::new();
    {
        use tokio::io::AsyncBufReadExt;
        let stdout = child.stdout.take().context("baseline stdout")?;
        tokio::io::BufReader::new(stdout)
            .read_line(&mut line)
            .await?;
    }
    let baseline_port: u16 = line.trim().parse().context("baseline port")?;

    let mut baseline_args = args.clone();
    baseline_args.port = baseline_port;
    baseline_args.warmup = 3;
    let baseline = run("baseline", &baseline_args, &ca).await?;
    // Cold: pages are fetched for the first time (or again after invalidation).
    let cold = run("product", &args, &ca).await?;
    let prewarm_seconds = prewarm(&args, &ca).await?;
    let mut warm_args = args.clone();
    warm_args.warmup = 3;
    let product = run("product", &warm_args, &ca).await?;
    let mix = run("mix", &warm_args, &ca).await?;
    child.kill().await?;

    let ratio = product["throughput_rps"].as_f64().unwrap_or(0.0)
        / baseline["throughput_rps"].as_f64().unwrap_or(1.0);
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "page_bytes": size,
            "baseline": baseline,
            "product_page_cold_cache": cold,
            "prewarm_seconds": (prewarm_seconds * 10.0).round() / 10.0,
            "product_page": product,
            "mix": mix,
            "product_to_baseline_throughput": (ratio * 1000.0).round() / 1000.0,
        }))?
    );
    Ok(())
}
