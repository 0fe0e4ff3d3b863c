//! The local S3 server: Garage, single node (`replication_factor = 1`), data under
//! `target/dev/garage/`. Installed with `cargo install garage --locked` (pinned version)
//! when missing, started in its own process group (it outlives `xtask`, like Redis), its
//! layout assigned once, and one access key allowed to create buckets. Its credentials
//! and endpoint are written to `target/dev/garage/s3.json`, which the test kit and the
//! services' dev configuration read.
//!
//! One Garage serves the machine: when one already runs (started from another checkout,
//! say, or by an earlier CI run), its configuration is found through `/proc` and adopted,
//! with the secrets kept beside it. A Garage whose configuration file is gone (its
//! checkout was deleted) cannot be administered, so it is stopped and a new one started.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::dev_dir;

/// The Garage release we run (a crates.io version).
pub const GARAGE_VERSION: &str = "2.5.0";
/// S3 API address.
pub const S3_ADDR: &str = "127.0.0.1:3900";
const RPC_ADDR: &str = "127.0.0.1:3901";
/// The region name Garage answers to.
pub const REGION: &str = "garage";
/// The dev stack's backup bucket.
pub const BUCKET: &str = "platform-backups";
/// The dev stack's product-picture bucket (created by the first upload).
pub const IMAGES_BUCKET: &str = "platform-images";

/// Endpoint and credentials of the dev S3.
pub struct S3Dev {
    /// `http://127.0.0.1:3900`.
    pub endpoint: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

fn dir() -> PathBuf {
    dev_dir().join("garage")
}

/// A running `garage … server` process: its pid and the `-c` configuration path.
fn running_server() -> Option<(u32, PathBuf)> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_garage = args.first().is_some_and(|a| a.ends_with("garage"));
        if !is_garage || !args.iter().any(|a| a == "server") {
            continue;
        }
        let config = args
            .iter()
            .position(|a| a == "-c" || a == "--config")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)?;
        return Some((pid, config));
    }
    None
}

fn random_hex(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(len);
    s
}

/// The `garage` binary: on PATH, in cargo's bin directory, or installed now.
fn binary() -> anyhow::Result<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin").join("garage"));
    let version_ok = |p: &PathBuf| {
        Command::new(p)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(GARAGE_VERSION))
            .unwrap_or(false)
    };
    if let Some(p) = &cargo_bin
        && version_ok(p)
    {
        return Ok(p.clone());
    }
    let on_path = PathBuf::from("garage");
    if version_ok(&on_path) {
        return Ok(on_path);
    }
    println!(
        "xtask: installing Garage {GARAGE_VERSION} with cargo install (once; about 15 minutes on two cores)"
    );
    crate::run(
        "cargo",
        &[
            "install",
            "garage",
            "--version",
            GARAGE_VERSION,
            "--locked",
            "--no-default-features",
            "--features",
            "bundled-libs,lmdb",
        ],
    )?;
    cargo_bin
        .filter(version_ok)
        .context("garage was installed but cannot be found in cargo's bin directory")
}

struct Secrets {
    rpc_secret: String,
    access_key_id: String,
    secret_access_key: String,
}

/// Secrets made once (dev only), kept beside the configuration in `home`.
fn secrets(home: &std::path::Path) -> anyhow::Result<Secrets> {
    let path = home.join("secrets.json");
    if !path.is_file() {
        let s = json!({
            "rpc_secret": random_hex(64),
            "access_key_id": format!("GK{}", random_hex(24)),
            "secret_access_key": random_hex(64),
        });
        platform_web::devcert::write_file(&path, &serde_json::to_string_pretty(&s)?, true)?;
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} lacks {k}", path.display()))
    };
    Ok(Secrets {
        rpc_secret: field("rpc_secret")?,
        access_key_id: field("access_key_id")?,
        secret_access_key: field("secret_access_key")?,
    })
}

fn config(secrets: &Secrets) -> anyhow::Result<PathBuf> {
    let d = dir();
    let path = d.join("garage.toml");
    let text = format!(
        r#"# Written by cargo xtask: a single-node Garage for development and tests.
metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "{RPC_ADDR}"
rpc_public_addr = "{RPC_ADDR}"
rpc_secret = "{rpc}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "{S3_ADDR}"
root_domain = ".s3.garage.localhost"
"#,
        meta = d.join("meta").display(),
        data = d.join("data").display(),
        rpc = secrets.rpc_secret,
    );
    platform_web::devcert::write_file(&path, &text, true)?;
    Ok(path)
}

fn garage(bin: &PathBuf, cfg: &PathBuf, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .arg("-c")
        .arg(cfg)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run garage {}", args.join(" ")))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "garage {} failed: {}{}",
            args.join(" "),
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(text)
}

async fn port_open(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Makes sure Garage answers on [`S3_ADDR`] with a layout, the dev key and the backup
/// bucket; returns how to reach it.
pub async fn ensure_garage() -> anyhow::Result<S3Dev> {
    std::fs::create_dir_all(dir())?;
    let bin = binary()?;
    let mut home = dir();
    if let Some((pid, config)) = running_server() {
        match config.parent() {
            Some(parent) if config.is_file() && parent.join("secrets.json").is_file() => {
                home = parent.to_path_buf();
            }
            _ => {
                println!("xtask: stopping a stale Garage (pid {pid}) whose configuration is gone");
                let _ = Command::new("kill").arg(pid.to_string()).status();
                let deadline = Instant::now() + Duration::from_secs(15);
                while port_open(S3_ADDR).await && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
    let secrets = secrets(&home)?;
    let cfg = if home == dir() {
        config(&secrets)?
    } else {
        println!(
            "xtask: using the Garage already running from {}",
            home.display()
        );
        home.join("garage.toml")
    };
    if !port_open(S3_ADDR).await {
        println!("xtask: starting Garage on {S3_ADDR}");
        let log = std::fs::File::create(dir().join("garage.log"))?;
        let mut command = Command::new(&bin);
        command
            .arg("-c")
            .arg(&cfg)
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command.spawn().context("cannot start garage")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !port_open(S3_ADDR).await {
            if Instant::now() > deadline {
                bail!(
                    "Garage did not start; see {}",
                    dir().join("garage.log").display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // A fresh node has no role in the layout: give it one (capacity is nominal).
    let status = retry(|| garage(&bin, &cfg, &["status"])).await?;
    if status.contains("NO ROLE ASSIGNED") {
        let id = garage(&bin, &cfg, &["node", "id", "-q"])?;
        let id = id.trim().split('@').next().unwrap_or("").to_owned();
        garage(
            &bin,
            &cfg,
            &["layout", "assign", "-z", "dc1", "-c", "1G", &id],
        )?;
        let show = garage(&bin, &cfg, &["layout", "show"])?;
        let current: u64 = show
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Current cluster layout version:")
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0);
        garage(
            &bin,
            &cfg,
            &["layout", "apply", "--version", &(current + 1).to_string()],
        )?;
    }
    if garage(&bin, &cfg, &["key", "info", &secrets.access_key_id]).is_err() {
        retry(|| {
            garage(
                &bin,
                &cfg,
                &[
                    "key",
                    "import",
                    "--yes",
                    "-n",
                    "platform-dev",
                    &secrets.access_key_id,
                    &secrets.secret_access_key,
                ],
            )
        })
        .await?;
    }
    garage(
        &bin,
        &cfg,
        &["key", "allow", "--create-bucket", &secrets.access_key_id],
    )?;
    if garage(&bin, &cfg, &["bucket", "info", BUCKET]).is_err() {
        garage(&bin, &cfg, &["bucket", "create", BUCKET])?;
    }
    garage(
        &bin,
        &cfg,
        &[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            BUCKET,
            "--key",
            &secrets.access_key_id,
        ],
    )?;
    let dev = S3Dev {
        endpoint: format!("http://{S3_ADDR}"),
        access_key_id: secrets.access_key_id,
        secret_access_key: secrets.secret_access_key,
    };
    let described = json!({
        "endpoint": dev.endpoint,
        "region": REGION,
        "bucket": BUCKET,
        "access_key_id": dev.access_key_id,
        "secret_access_key": dev.secret_access_key,
        "path_style": true,
    });
    platform_web::devcert::write_file(
        &dir().join("s3.json"),
        &serde_json::to_string_pretty(&described)?,
        true,
    )?;
    Ok(dev)
}

/// Garage answers RPC a moment after its S3 port opens: retry a few times.
async fn retry<T>(mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let mut last = None;
    for _ in 0..40 {
        match f() {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("garage did not answer")))
}
