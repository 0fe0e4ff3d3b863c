//! `cargo xtask`: the developer entry points (see the README).
//!
//! - `up`: make sure Postgres, Redis and Garage (S3) are installed and running, create roles and the
//!   dev database, migrate, check the catalog lint, create dev certificates and the dev
//!   KEK, seed demo data, start every service, write `target/dev/stack.json`, and stop
//!   everything on Ctrl-C or SIGTERM;
//! - `test`: the same dependencies, then the crate-graph check (services depend on libs
//!   only), `cargo fmt --check`, `cargo clippy -D warnings`, every test of the
//!   workspace, and the check that SIGTERM to `xtask up` leaves no service running;
//! - `migrate`, `certs`: single steps of `up`.

mod checks;
mod db;
mod deps;
mod fuzz;
mod garage;
mod hostile;
mod ops;
mod seed;
mod stack;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

/// The developer entry points of the platform.
#[derive(Parser)]
#[command(name = "cargo xtask", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Install/start Postgres, Redis and Garage (S3), migrate, seed, start all services
    /// (Ctrl-C or SIGTERM stops them all).
    Up {
        /// Run optimised builds (for load tests).
        #[arg(long)]
        release: bool,
    },
    /// Start dependencies, then the crate-graph and unused-dependency checks,
    /// fmt --check, clippy -D warnings, every test, and on the dev stack: hostile input
    /// (schemathesis), the TLS scan (testssl.sh) and the SIGTERM check.
    Test,
    /// Against a running `cargo xtask up`: schemathesis on both OpenAPI documents and
    /// testssl.sh on every TLS listener (also part of `test`).
    Hostile,
    /// Run every cargo-fuzz target of `fuzz/` (CSV import, money, host names, cart
    /// tokens, session cookies) for a bounded time each.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Create roles and the dev database and apply migrations.
    Migrate,
    /// Install/start Garage (the local S3) and print its endpoint.
    S3,
    /// Install/start the development mail server (maildev) and print its addresses.
    Mail,
    /// Print the current second-factor code of a dev shop's owner (`cargo xtask code
    /// aurora`): owners need one to log in.
    Code {
        /// The shop's handle.
        handle: String,
    },
    /// Create the dev CA and server certificate under target/dev/certs.
    Certs,
    /// Write load-test shops (`load-0001`…) with products straight to the dev database.
    Seed {
        /// Number of shops.
        #[arg(long, default_value_t = 100)]
        tenants: usize,
        /// Products per shop.
        #[arg(long, default_value_t = 1000)]
        products: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        match cli.command {
            Cmd::Up { release } => stack::up(release).await,
            Cmd::Test => test().await,
            Cmd::Hostile => hostile::check_stack().await,
            Cmd::Fuzz { seconds } => fuzz::fuzz(seconds),
            Cmd::Migrate => {
                deps::ensure_postgres().await?;
                db::bootstrap().await.map(|_| ())
            }
            Cmd::Certs => stack::certs().map(|_| ()),
            Cmd::S3 => garage::ensure_garage().await.map(|s3| {
                println!(
                    "xtask: S3 at {} (credentials in target/dev/garage/s3.json)",
                    s3.endpoint
                )
            }),
            Cmd::Mail => deps::ensure_maildev().await,
            Cmd::Code { handle } => seed::current_code(&handle).map(|code| println!("{code}")),
            Cmd::Seed { tenants, products } => {
                deps::ensure_postgres().await?;
                db::bootstrap().await?;
                seed::load_data(tenants, products).await
            }
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
    deps::ensure_axe()?;
    deps::ensure_machete()?;
    hostile::ensure_schemathesis()?;
    hostile::ensure_testssl()?;
    garage::ensure_garage().await?;
    deps::ensure_maildev().await?;
    db::bootstrap().await?;
    checks::crate_graph()?;
    // Called directly: under `cargo run` the cargo-subcommand detection takes
    // "machete" for a path.
    run("cargo-machete", &[])?;
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
    // Every target at once (the services' binaries too, with the tests' features), so
    // the tests and the stack check below compile nothing more.
    run(
        "cargo",
        &["build", "--workspace", "--all-targets", "--locked"],
    )?;
    run("cargo", &["test", "--workspace", "--locked"])?;
    checks::stack_stops_on_sigterm().await?;
    println!("xtask: all checks passed");
    Ok(())
}
