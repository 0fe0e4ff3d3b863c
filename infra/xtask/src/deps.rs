//! Installing and starting what the platform needs on this machine: Postgres and Redis
//! from Debian packages, rustfmt and clippy from rustup. Each step first checks whether
//! the thing already works and does nothing if it does.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::run;

/// Where Redis listens (`PLATFORM_REDIS_URL`, default `redis://127.0.0.1:6379`).
pub fn redis_url() -> String {
    std::env::var("PLATFORM_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn redis_addr() -> String {
    redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs Debian packages (non-interactively; `apt-get update` once if needed).
pub fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo", "-n"] };
    let install = |update: bool| -> anyhow::Result<()> {
        let mut script = String::from("export DEBIAN_FRONTEND=noninteractive; ");
        if update {
            script.push_str("apt-get update -q && ");
        }
        script.push_str("apt-get install -y -q --no-install-recommends ");
        script.push_str(&packages.join(" "));
        let mut args = sudo.to_vec();
        args.extend(["sh", "-c", &script]);
        let (program, rest) = args.split_first().context("empty command")?;
        run(program, rest)
    };
    install(false).or_else(|_| install(true))
}

/// Debian's Chromium and ChromeDriver, for the browser tests, and the NSS tools that put
/// a platform staff member's client certificate into a test browser's store.
pub fn ensure_browser() -> anyhow::Result<()> {
    if [
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
        "/usr/bin/pk12util",
    ]
    .iter()
    .all(|p| Path::new(p).exists())
    {
        return Ok(());
    }
    println!("xtask: installing chromium, chromium-driver and libnss3-tools from Debian packages");
    apt_install(&["chromium", "chromium-driver", "libnss3-tools"])
}

/// rustfmt and clippy, which `cargo xtask test` runs.
pub fn ensure_rust_components() -> anyhow::Result<()> {
    let has = |sub: &str| {
        Command::new("cargo")
            .args([sub, "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !has("fmt") || !has("clippy") {
        run("rustup", &["component", "add", "rustfmt", "clippy"])?;
    }
    Ok(())
}

/// The pinned cargo-machete (unused-dependency check), installed once with cargo.
pub const MACHETE_VERSION: &str = "0.9.1";

/// cargo-machete, which `cargo xtask test` runs; installed from crates.io when missing.
pub fn ensure_machete() -> anyhow::Result<()> {
    let installed = Command::new("cargo-machete")
        .arg("--version")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(MACHETE_VERSION))
        .unwrap_or(false);
    if !installed {
        run(
            "cargo",
            &[
                "install",
                "cargo-machete",
                "--version",
                MACHETE_VERSION,
                "--locked",
            ],
        )?;
    }
    Ok(())
}

async fn port_open(addr: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Makes sure a Postgres server answers at the admin URL, installing and starting one if
/// needed, and that the admin can log in.
pub async fn ensure_postgres() -> anyhow::Result<()> {
    let admin = platform_testkit::admin_options()?;
    let addr = format!("{}:{}", admin.get_host(), admin.get_port());
    if !port_open(&addr).await {
        println!("xtask: Postgres is not answering on {addr}; starting it");
        start_postgres()?;
        wait_for(&addr, Duration::from_secs(60)).await?;
    }
    // Wait until it accepts logins (a just-started server refuses them briefly).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut fixed_auth = false;
    loop {
        match PgConnection::connect_with(&admin).await {
            Ok(conn) => {
                conn.close().await?;
                return Ok(());
            }
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("28P01" | "28000")) && !fixed_auth =>
            {
                // A fresh Debian cluster uses password auth on TCP and the postgres role
                // has no password: give it the dev password through the local socket.
                fixed_auth = true;
                set_admin_password(&admin_password())?;
            }
            Err(e) if Instant::now() > deadline => {
                return Err(e).context(format!("cannot log in to Postgres at {addr} as admin"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// The password in the admin URL (the dev default is `postgres`).
fn admin_password() -> String {
    let url = std::env::var(platform_testkit::ADMIN_URL_VAR)
        .unwrap_or_else(|_| platform_testkit::DEFAULT_ADMIN_URL.to_owned());
    url.split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map_or_else(|| "postgres".to_owned(), |(_, pw)| pw.to_owned())
}

fn set_admin_password(password: &str) -> anyhow::Result<()> {
    if !is_root() || !have("runuser") {
        bail!(
            "Postgres refused the admin login; set {} to a superuser URL",
            platform_testkit::ADMIN_URL_VAR
        );
    }
    let sql = format!(
        "alter role postgres password '{}'",
        password.replace('\'', "''")
    );
    run("runuser", &["-u", "postgres", "--", "psql", "-qc", &sql])
}

fn debian_clusters() -> Vec<String> {
    std::fs::read_dir("/etc/postgresql")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("main").is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn start_postgres() -> anyhow::Result<()> {
    if !have("pg_ctlcluster") || !Path::new("/usr/lib/postgresql").is_dir() {
        println!("xtask: installing PostgreSQL from Debian packages");
        apt_install(&["postgresql", "postgresql-contrib"])?;
    }
    let mut clusters = debian_clusters();
    if clusters.is_empty() {
        let versions: Vec<String> = std::fs::read_dir("/usr/lib/postgresql")?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        let version = versions
            .iter()
            .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
            .context("PostgreSQL is installed but no version directory was found")?;
        run("pg_createcluster", &[version, "main"])?;
        clusters = vec![version.clone()];
    }
    for version in clusters {
        // Outside systemd (containers, CI) pg_ctlcluster must not redirect to systemctl.
        let _ = run(
            "pg_ctlcluster",
            &["--skip-systemctl-redirect", &version, "main", "start"],
        );
    }
    Ok(())
}

async fn wait_for(addr: &str, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !port_open(addr).await {
        if Instant::now() > deadline {
            bail!("nothing answers on {addr} after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

async fn redis_pong(addr: &str) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut buf = [0u8; 16];
        let n = stream.read(&mut buf).await.ok()?;
        Some(buf[..n].starts_with(b"+PONG"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), attempt).await,
        Ok(Some(true))
    )
}

/// The development mail server: SMTP on 127.0.0.1:1025, its web inbox and API on
/// 127.0.0.1:1080.
pub const MAIL_SMTP: &str = "127.0.0.1:1025";
/// The development mail server's web inbox.
pub const MAIL_WEB: &str = "127.0.0.1:1080";

/// Makes sure the development mail server (maildev, pinned in `infra/maildev`) listens,
/// installing it with npm into `target/tools/maildev` and starting it if needed. Like
/// Garage it keeps running after `xtask` exits, for the next run and the tests.
/// axe-core (accessibility rules, MPL-2.0), pinned with its lock file in `infra/axe/`,
/// installed with `npm ci` into `target/tools/axe`: the browser tests inject it into
/// every page they look at.
pub fn ensure_axe() -> anyhow::Result<()> {
    if !have("npm") {
        println!("xtask: installing Node.js and npm from Debian packages");
        apt_install(&["nodejs", "npm"])?;
    }
    let pinned = crate::root().join("infra").join("axe");
    let dir = crate::root().join("target").join("tools").join("axe");
    let script = dir.join("node_modules").join("axe-core").join("axe.min.js");
    let lock = std::fs::read(pinned.join("package-lock.json"))?;
    if !script.is_file() || std::fs::read(dir.join("package-lock.json")).ok() != Some(lock) {
        std::fs::create_dir_all(&dir)?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(pinned.join(file), dir.join(file))?;
        }
        println!("xtask: installing axe-core (npm ci)");
        // npm takes a prefix reached through a symlink (a shared `target`) for a linked
        // package of its own real path: give it the real path.
        let dir_text = dir.canonicalize()?.to_string_lossy().into_owned();
        run(
            "npm",
            &["ci", "--prefix", &dir_text, "--no-audit", "--no-fund"],
        )?;
    }
    Ok(())
}

pub async fn ensure_maildev() -> anyhow::Result<()> {
    if TcpStream::connect(MAIL_SMTP).await.is_ok() && TcpStream::connect(MAIL_WEB).await.is_ok() {
        return Ok(());
    }
    if !have("npm") {
        println!("xtask: installing Node.js and npm from Debian packages");
        apt_install(&["nodejs", "npm"])?;
    }
    let pinned = crate::root().join("infra").join("maildev");
    let dir = crate::root().join("target").join("tools").join("maildev");
    let bin = dir
        .join("node_modules")
        .join("maildev")
        .join("bin")
        .join("maildev");
    let lock = std::fs::read(pinned.join("package-lock.json"))?;
    if !bin.is_file() || std::fs::read(dir.join("package-lock.json")).ok() != Some(lock) {
        std::fs::create_dir_all(&dir)?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(pinned.join(file), dir.join(file))?;
        }
        println!("xtask: installing maildev (npm ci)");
        // npm takes a prefix reached through a symlink (a shared `target`) for a linked
        // package of its own real path: give it the real path.
        let dir_text = dir.canonicalize()?.to_string_lossy().into_owned();
        run(
            "npm",
            &["ci", "--prefix", &dir_text, "--no-audit", "--no-fund"],
        )?;
    }
    let logs = crate::dev_dir();
    std::fs::create_dir_all(&logs)?;
    let log = std::fs::File::create(logs.join("maildev.log"))?;
    println!("xtask: starting maildev (SMTP {MAIL_SMTP}, inbox http://{MAIL_WEB}/)");
    let mut command = Command::new("node");
    command
        .arg(&bin)
        .args([
            "--smtp",
            "1025",
            "--web",
            "1080",
            "--ip",
            "127.0.0.1",
            "--web-ip",
            "127.0.0.1",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().context("cannot start maildev")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(MAIL_SMTP).await.is_err()
        || TcpStream::connect(MAIL_WEB).await.is_err()
    {
        if Instant::now() > deadline {
            bail!(
                "maildev did not start; see {}",
                logs.join("maildev.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Makes sure Redis answers PING, installing and starting it if needed.
pub async fn ensure_redis() -> anyhow::Result<()> {
    let addr = redis_addr();
    if redis_pong(&addr).await {
        return Ok(());
    }
    println!("xtask: Redis is not answering on {addr}; starting it");
    if !have("redis-server") {
        println!("xtask: installing Redis from Debian packages");
        apt_install(&["redis-server"])?;
    }
    let port = addr.rsplit(':').next().unwrap_or("6379").to_owned();
    let dir = crate::dev_dir().join("redis");
    std::fs::create_dir_all(&dir)?;
    let dir = dir.to_string_lossy().into_owned();
    let log = format!("{dir}/redis.log");
    run(
        "redis-server",
        &[
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            &port,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir,
            "--logfile",
            &log,
        ],
    )?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !redis_pong(&addr).await {
        if Instant::now() > deadline {
            bail!("Redis did not start on {addr}; see {log}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
