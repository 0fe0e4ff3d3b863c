//! `cargo xtask`: the developer entry points (see the README).
//!
//! - `up`: make sure Postgres, Redis and Garage (S3) are installed and running, create roles and the
//!   dev database, migrate, check the catalog lint, create dev certificates and the dev
//!   KEK, seed demo data, start every service, write `target/dev/stack.json`, and stop
//!   everything on Ctrl-C;
//! - `test`: the same dependencies, then `cargo fmt --check`, `cargo clippy -D warnings`
//!   and every test of the workspace;
//! - `migrate`, `certs`: single steps of `up`.

mod db;
mod deps;
mod garage;
mod seed;
mod stack;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  up        install/start Postgres, Redis and Garage (S3), migrate, seed, start all services
            (Ctrl-C stops);
            --release runs optimised builds (for load tests)
  test      start dependencies, then fmt --check, clippy -D warnings and every test
  migrate   create roles and the dev database and apply migrations
  s3        install/start Garage (the local S3) and print its endpoint
  certs     create the dev CA and server certificate under target/dev/certs
  seed      --tenants N --products M: N load-test shops with M products each
";

/// Parses `--tenants N --products M` (defaults 100 and 1000).
fn seed_args(args: &[String]) -> anyhow::Result<(usize, usize)> {
    let (mut tenants, mut products) = (100, 1000);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a number"))?
            .parse::<usize>()
            .map_err(|_| anyhow::anyhow!("{flag} needs a number"))?;
        match flag.as_str() {
            "--tenants" => tenants = value,
            "--products" => products = value,
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok((tenants, products))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("xtask: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match args.first().map(String::as_str) {
            Some("up") => stack::up(args.iter().any(|a| a == "--release")).await,
            Some("test") => test().await,
            Some("migrate") => {
                deps::ensure_postgres().await?;
                db::bootstrap().await.map(|_| ())
            }
            Some("certs") => stack::certs().map(|_| ()),
            Some("s3") => garage::ensure_garage().await.map(|s3| {
                println!(
                    "xtask: S3 at {} (credentials in target/dev/garage/s3.json)",
                    s3.endpoint
                )
            }),
            Some("seed") => {
                let (tenants, products) = seed_args(&args[1..])?;
                deps::ensure_postgres().await?;
                db::bootstrap().await?;
                seed::load_data(tenants, products).await
            }
            Some("help" | "-h" | "--help") | None => {
                print!("{USAGE}");
                Ok(())
            }
            Some(other) => Err(anyhow::anyhow!("unknown command {other:?}\n\n{USAGE}")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives at `infra/xtask`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest.clone(), PathBuf::from)
}

/// `target/dev`, where the dev stack keeps its state.
pub fn dev_dir() -> PathBuf {
    root().join("target").join("dev")
}

/// Runs a command in the workspace root, failing with its name if it fails.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    println!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "`{program} {}` failed ({status})",
            args.join(" ")
        ))
    }
}

async fn test() -> anyhow::Result<()> {
    deps::ensure_rust_components()?;
    deps::ensure_postgres().await?;
    deps::ensure_redis().await?;
    deps::ensure_browser()?;
    garage::ensure_garage().await?;
    db::bootstrap().await?;
    run("cargo", &["fmt", "--all", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run("cargo", &["test", "--workspace", "--locked"])?;
    println!("xtask: all checks passed");
    Ok(())
}
