//! `cargo xtask up`: the whole platform on this machine.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use platform_testkit::SERVICE_ROLES;
use platform_vault::LocalKek;
use platform_web::devcert::{DevCa, write_file};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::{db, deps, dev_dir, root};

/// A service the dev stack starts: its package (binary of the same name), its database
/// role, and its HTTPS and redirecting HTTP ports. Services join this list with the issue
/// that creates them.
struct ServiceSpec {
    package: &'static str,
    env_prefix: &'static str,
    role: &'static str,
    https_port: u16,
    /// The redirecting HTTP port of a public service and the host names it redirects
    /// (comma-separated, `*.domain` for every name under one); internal ones have none.
    http_port: Option<(u16, &'static str)>,
    /// Internal: callers must present a client certificate of the dev CA (mTLS).
    internal: bool,
    extra_env: &'static [(&'static str, &'static str)],
}

/// Set by `cargo xtask test` for its stack check: the debug binaries are already built.
pub const PREBUILT_VAR: &str = "XTASK_PREBUILT";

/// The storefront's public HTTPS port in development.
pub const STOREFRONT_PORT: u16 = 8443;
/// The merchant console's HTTPS port in development.
pub const ADMIN_PORT: u16 = 8444;
/// The cart service's (internal, mTLS) port in development.
pub const CART_PORT: u16 = 8445;
/// The orders service's (internal, mTLS) port in development. 8446 is left to the payment
/// processor's simulator, which stands for a third party.
pub const ORDERS_PORT: u16 = 8447;
/// The payment processor simulator's port (its own CA and origin, `pay.localhost`).
pub const PAYSIM_PORT: u16 = 8446;
/// The orders service's public webhook listener (HTTPS, no client certificate).
pub const WEBHOOK_PORT: u16 = 8448;
/// The carrier simulator's port (its own CA).
pub const CARRIER_PORT: u16 = 8449;
/// The processor's origin as browsers and orders reach it.
pub const PAYSIM_ORIGIN: &str = "https://pay.localhost:8446";

const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        package: "cart",
        env_prefix: "APP_CART",
        role: "cart",
        https_port: CART_PORT,
        http_port: None,
        internal: true,
        extra_env: &[],
    },
    ServiceSpec {
        package: "orders",
        env_prefix: "APP_ORDERS",
        role: "orders",
        https_port: ORDERS_PORT,
        http_port: None,
        internal: true,
        extra_env: &[
            ("APP_ORDERS_SMTP_URL", "smtp://127.0.0.1:1025"),
            ("APP_ORDERS_MAIL_FROM", "orders@shop.localhost"),
            ("APP_ORDERS_PROCESSOR_URL", PAYSIM_ORIGIN),
            ("APP_ORDERS_CARRIER_URL", "https://localhost:8449"),
            ("APP_ORDERS_WEBHOOK_ADDR", "127.0.0.1:8448"),
            (
                "APP_ORDERS_WEBHOOK_PUBLIC_URL",
                "https://localhost:8448/v1/processor/webhooks",
            ),
        ],
    },
    ServiceSpec {
        package: "storefront",
        env_prefix: "APP_STOREFRONT",
        role: "storefront",
        https_port: STOREFRONT_PORT,
        http_port: Some((8080, "*.shop.localhost")),
        internal: false,
        extra_env: &[
            ("APP_STOREFRONT_CART_URL", "https://localhost:8445"),
            ("APP_STOREFRONT_ORDERS_URL", "https://localhost:8447"),
            ("APP_STOREFRONT_PAYMENT_ORIGIN", PAYSIM_ORIGIN),
            // The load generators post cart forms from one address.
            ("APP_STOREFRONT_POSTS_PER_NETWORK_PER_MINUTE", "1000000"),
        ],
    },
    ServiceSpec {
        package: "tenant-admin",
        env_prefix: "APP_TENANT_ADMIN",
        role: "tenant_admin",
        https_port: ADMIN_PORT,
        http_port: Some((8081, "localhost")),
        internal: false,
        extra_env: &[
            ("APP_TENANT_ADMIN_STOREFRONT_PORT", "8443"),
            ("APP_TENANT_ADMIN_SHOP_DOMAIN", "shop.localhost"),
            ("APP_TENANT_ADMIN_PUBLIC_URL", "https://localhost:8444"),
            ("APP_TENANT_ADMIN_SMTP_URL", "smtp://127.0.0.1:1025"),
            ("APP_TENANT_ADMIN_MAIL_FROM", "staff@shop.localhost"),
        ],
    },
    // The processor's staff console: its client CA is the platform staff CA (below).
    ServiceSpec {
        package: "access-control",
        env_prefix: "APP_ACCESS_CONTROL",
        role: "access_control",
        https_port: crate::ops::ACCESS_PORT,
        http_port: None,
        internal: true,
        extra_env: &[(
            "APP_ACCESS_CONTROL_TOTP_ISSUER",
            "Platform operations (dev)",
        )],
    },
];

/// Paths of the dev TLS material.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The storefront's client certificate and key (its identity towards the cart).
    pub storefront_client: (PathBuf, PathBuf),
    /// The console's client certificate and key (its identity towards orders).
    pub tenant_admin_client: (PathBuf, PathBuf),
    /// xtask's own client certificate and key (readiness probes of internal services).
    pub xtask_client: (PathBuf, PathBuf),
    /// The payment simulator's own CA, certificate and key (a third party: nothing of
    /// the platform's CA).
    pub paysim: (PathBuf, PathBuf, PathBuf),
    /// The platform's partner key seed (base64url), which publishes shops' key sets.
    pub partner_key: PathBuf,
    /// The carrier simulator's own CA, certificate and key, and the platform's token.
    pub carrier: (PathBuf, PathBuf, PathBuf, PathBuf),
    /// The platform staff CA and the dev members' certificates (access-control).
    pub staff: crate::ops::StaffCerts,
}

/// Creates (once) the dev CA and issues (every time, so its names stay current) the
/// server certificate for localhost and `*.shop.localhost`.
pub fn certs() -> anyhow::Result<Certs> {
    let dir = dev_dir().join("certs");
    let ca = DevCa::load_or_create(&dir)?;
    let (cert, key) = ca.write_server_cert(&dir, &[])?;
    let storefront_client = ca.write_client_cert(&dir, "storefront")?;
    let xtask_client = ca.write_client_cert(&dir, "xtask")?;
    let tenant_admin_client = ca.write_client_cert(&dir, "tenant-admin")?;
    println!("xtask: dev CA at {}", dir.join("ca.pem").display());
    let paysim_dir = dev_dir().join("paysim");
    let paysim_ca = DevCa::load_or_create(&paysim_dir)?;
    let (paysim_cert, paysim_key) = paysim_ca.write_server_cert(&paysim_dir, &["pay.localhost"])?;
    let partner_key = dev_dir().join("partner.key");
    if !partner_key.is_file() {
        use base64::Engine;
        let key = platform_msgsign::Keypair::generate(platform_processor_api::PARTNER_KEY_ID);
        write_file(
            &partner_key,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.seed()),
            true,
        )?;
    }
    let carrier_dir = dev_dir().join("carrier");
    let carrier_ca = DevCa::load_or_create(&carrier_dir)?;
    let (carrier_cert, carrier_key) = carrier_ca.write_server_cert(&carrier_dir, &[])?;
    let carrier_token = carrier_dir.join("token");
    if !carrier_token.is_file() {
        let mut bytes = [0u8; 24];
        rand::fill(&mut bytes);
        write_file(&carrier_token, &hex::encode(bytes), true)?;
    }
    Ok(Certs {
        carrier: (
            carrier_dir.join("ca.pem"),
            carrier_cert,
            carrier_key,
            carrier_token,
        ),
        ca: dir.join("ca.pem"),
        cert,
        key,
        storefront_client,
        tenant_admin_client,
        xtask_client,
        paysim: (paysim_dir.join("ca.pem"), paysim_cert, paysim_key),
        partner_key,
        staff: crate::ops::staff_certs()?,
    })
}

/// The partner key's public half, for the processor.
fn partner_public(certs: &Certs) -> anyhow::Result<String> {
    use base64::Engine;
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(std::fs::read_to_string(&certs.partner_key)?.trim())?;
    let key = platform_msgsign::Keypair::from_seed(platform_processor_api::PARTNER_KEY_ID, &seed)
        .map_err(|e| anyhow::anyhow!("{}: {e}", certs.partner_key.display()))?;
    Ok(key.public().to_base64())
}

/// The carrier's simulator: its own certificate; the platform's token.
fn spawn_carrier(certs: &Certs, profile: &str) -> anyhow::Result<Child> {
    let bin = root().join("target").join(profile).join("carrier-sim");
    let token = std::fs::read_to_string(&certs.carrier.3)?;
    Command::new(&bin)
        .env(
            "APP_CARRIER_HTTPS_ADDR",
            format!("127.0.0.1:{CARRIER_PORT}"),
        )
        .env("APP_CARRIER_TLS_CERT", &certs.carrier.1)
        .env("APP_CARRIER_TLS_KEY", &certs.carrier.2)
        .env("APP_CARRIER_TOKEN", token.trim())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))
}

/// The payment processor's simulator: its own certificate and origin; it trusts the
/// platform's dev CA only to post webhooks to orders.
fn spawn_paysim(certs: &Certs, profile: &str) -> anyhow::Result<Child> {
    let bin = root().join("target").join(profile).join("payment-sim");
    Command::new(&bin)
        .env("APP_PAYSIM_HTTPS_ADDR", format!("127.0.0.1:{PAYSIM_PORT}"))
        .env("APP_PAYSIM_TLS_CERT", &certs.paysim.1)
        .env("APP_PAYSIM_TLS_KEY", &certs.paysim.2)
        .env("APP_PAYSIM_PUBLIC_URL", PAYSIM_ORIGIN)
        .env("APP_PAYSIM_PARTNER_KEY", partner_public(certs)?)
        .env("APP_PAYSIM_WEBHOOK_CA", &certs.ca)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))
}

/// Creates (once) the dev key-encryption key file, readable by its owner only.
pub fn kek_file() -> anyhow::Result<PathBuf> {
    let path = dev_dir().join("kek.txt");
    if !path.is_file() {
        let kek = LocalKek::generate(1);
        write_file(&path, &kek.to_text(), true)?;
        println!("xtask: created dev KEK at {}", path.display());
    }
    Ok(path)
}

fn spawn(
    service: &ServiceSpec,
    certs: &Certs,
    kek: &PathBuf,
    s3: &crate::garage::S3Dev,
    profile: &str,
) -> anyhow::Result<Child> {
    let bin = root().join("target").join(profile).join(service.package);
    command(service, certs, kek, profile)?
        .envs(images_env(service.env_prefix, s3))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))
}

/// A service's binary with its whole environment (the dev stack's ports, certificates,
/// database role, key-encryption key).
fn command(
    service: &ServiceSpec,
    certs: &Certs,
    kek: &PathBuf,
    profile: &str,
) -> anyhow::Result<Command> {
    let bin = root().join("target").join(profile).join(service.package);
    let p = service.env_prefix;
    let mut command = Command::new(&bin);
    for (k, v) in service.extra_env {
        command.env(k, v);
    }
    if let Some((port, hosts)) = service.http_port {
        command
            .env(format!("{p}_HTTP_ADDR"), format!("127.0.0.1:{port}"))
            .env(format!("{p}_REDIRECT_HOSTS"), hosts);
    }
    if service.internal {
        let ca = if service.package == "access-control" {
            &certs.staff.ca
        } else {
            &certs.ca
        };
        command
            .env(format!("{p}_CLIENT_CA"), ca)
            .env(format!("{p}_REQUIRE_CLIENT_CERT"), "true");
    }
    // Every caller of the cart trusts the dev CA and presents its client certificate.
    command
        .env(format!("{p}_CART_CA"), &certs.ca)
        .env(format!("{p}_CART_CLIENT_CERT"), &certs.storefront_client.0)
        .env(format!("{p}_CART_CLIENT_KEY"), &certs.storefront_client.1);
    if service.package == "orders" {
        command
            .env(format!("{p}_PROCESSOR_CA"), &certs.paysim.0)
            .env(format!("{p}_PARTNER_KEY_FILE"), &certs.partner_key)
            .env(format!("{p}_CARRIER_CA"), &certs.carrier.0)
            .env(format!("{p}_CARRIER_TOKEN_FILE"), &certs.carrier.3)
            .env(format!("{p}_CERTIFICATE_KEY_FILE"), certificate_key()?)
            .env(format!("{p}_STOREFRONT_PORT"), STOREFRONT_PORT.to_string());
    }
    if service.package == "tenant-admin" {
        command
            .env(
                format!("{p}_ORDERS_URL"),
                format!("https://localhost:{ORDERS_PORT}"),
            )
            .env(format!("{p}_ORDERS_CA"), &certs.ca)
            .env(
                format!("{p}_ORDERS_CLIENT_CERT"),
                &certs.tenant_admin_client.0,
            )
            .env(
                format!("{p}_ORDERS_CLIENT_KEY"),
                &certs.tenant_admin_client.1,
            );
    }
    command
        .env(
            format!("{p}_HTTPS_ADDR"),
            format!("127.0.0.1:{}", service.https_port),
        )
        .env(format!("{p}_TLS_CERT"), &certs.cert)
        .env(format!("{p}_TLS_KEY"), &certs.key)
        .env(format!("{p}_DATABASE_URL"), db::url_for(service.role)?)
        .env(format!("{p}_REDIS_URL"), deps::redis_url())
        .env("PLATFORM_KEK_FILE", kek);
    Ok(command)
}

/// The platform's audit signing key (O22): a base64url Ed25519 seed, made once.
pub fn audit_key() -> anyhow::Result<PathBuf> {
    signing_seed("audit.key")
}

/// The platform's key for erasure and deletion certificates (O14), made once.
pub fn certificate_key() -> anyhow::Result<PathBuf> {
    signing_seed("certificate.key")
}

/// A base64url Ed25519 seed in the dev directory, made once.
fn signing_seed(name: &str) -> anyhow::Result<PathBuf> {
    let path = dev_dir().join(name);
    if !path.is_file() {
        use base64::Engine;
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        write_file(
            &path,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed),
            true,
        )?;
    }
    Ok(path)
}

/// The backup worker of the dev stack, against the dev Garage; it also seals the shops'
/// audit chains (every 100 events, at least hourly; looked at every minute) and closes
/// the shops whose closure is due (looked at every 5 seconds), mailing the certificates
/// to maildev.
/// Where a service keeps or reads product pictures: the dev Garage's picture bucket.
fn images_env(prefix: &str, s3: &crate::garage::S3Dev) -> Vec<(String, String)> {
    if !matches!(prefix, "APP_STOREFRONT" | "APP_TENANT_ADMIN" | "APP_BACKUP") {
        return Vec::new();
    }
    [
        ("IMAGES_BUCKET", crate::garage::IMAGES_BUCKET),
        ("IMAGES_S3_ENDPOINT", &s3.endpoint),
        ("IMAGES_S3_REGION", crate::garage::REGION),
        ("IMAGES_S3_ACCESS_KEY_ID", &s3.access_key_id),
        ("IMAGES_S3_SECRET_ACCESS_KEY", &s3.secret_access_key),
        ("IMAGES_S3_PATH_STYLE", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (format!("{prefix}_{k}"), v.to_owned()))
    .collect()
}

fn spawn_backup(s3: &crate::garage::S3Dev, kek: &PathBuf, profile: &str) -> anyhow::Result<Child> {
    let bin = root().join("target").join(profile).join("backup");
    Command::new(&bin)
        .envs(images_env("APP_BACKUP", s3))
        .env("APP_BACKUP_AUDIT_KEY_FILE", audit_key()?)
        .arg("worker")
        .env("APP_BACKUP_DATABASE_URL", db::url_for("backup")?)
        .env("APP_BACKUP_S3_ENDPOINT", &s3.endpoint)
        .env("APP_BACKUP_S3_REGION", crate::garage::REGION)
        .env("APP_BACKUP_S3_BUCKET", crate::garage::BUCKET)
        .env("APP_BACKUP_S3_ACCESS_KEY_ID", &s3.access_key_id)
        .env("APP_BACKUP_S3_SECRET_ACCESS_KEY", &s3.secret_access_key)
        .env("APP_BACKUP_S3_PATH_STYLE", "true")
        .env("APP_BACKUP_INTERVAL_SECS", "3600")
        .env("APP_BACKUP_CERTIFICATE_KEY_FILE", certificate_key()?)
        .env("APP_BACKUP_SMTP_URL", format!("smtp://{}", deps::MAIL_SMTP))
        .env("APP_BACKUP_MAIL_FROM", "platform@shop.localhost")
        .env("APP_BACKUP_CLOSE_CHECK_SECS", "5")
        .env("PLATFORM_KEK_FILE", kek)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))
}

/// Asks a child to stop (SIGTERM), then kills it if it has not within `grace`.
async fn stop(name: &str, child: &mut Child, grace: Duration) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        eprintln!("xtask: {name} did not stop in {grace:?}; killing it");
        let _ = child.kill().await;
    }
}

/// `cargo xtask up [--release]`: starts everything, then supervises. Ctrl-C or SIGTERM,
/// at any moment (also while building or seeding), stops every service it started with
/// SIGTERM and a grace period; so does the exit of any one of them.
pub async fn up(release: bool) -> anyhow::Result<()> {
    let mut children: Vec<(&'static str, Child)> = Vec::new();
    let mut shutdown = std::pin::pin!(platform_web::shutdown_signal());
    let started = tokio::select! {
        started = start(release, &mut children) => Some(started),
        () = &mut shutdown => None,
    };
    let outcome = match started {
        None => {
            println!("\nxtask: stopping before the stack was up");
            Ok(())
        }
        Some(Err(e)) => Err(e),
        Some(Ok(())) => {
            println!("xtask: up. Ctrl-C (or SIGTERM) stops everything.");
            let mut watch = Box::pin(wait_any(&mut children));
            tokio::select! {
                () = &mut shutdown => println!("\nxtask: stopping"),
                exited = &mut watch => eprintln!("xtask: {exited} exited; stopping the rest"),
            }
            Ok(())
        }
    };
    for (name, child) in &mut children {
        stop(name, child, Duration::from_secs(15)).await;
    }
    println!("xtask: stopped");
    outcome
}

/// Everything up to a running, seeded stack; the services started are pushed onto
/// `children` as they start, so the caller stops them whatever happens here.
async fn start(release: bool, children: &mut Vec<(&'static str, Child)>) -> anyhow::Result<()> {
    deps::ensure_postgres().await?;
    deps::ensure_redis().await?;
    let s3 = crate::garage::ensure_garage().await?;
    deps::ensure_maildev().await?;
    db::bootstrap().await?;
    let certs = certs()?;
    let kek = kek_file()?;

    // `cargo xtask test` has just built every target of the workspace (features unified
    // with the tests'); building the four binaries alone would unify features differently
    // and compile much of the tree again, so its stack check runs what is there.
    let prebuilt = std::env::var_os(PREBUILT_VAR).is_some() && !release;
    if prebuilt {
        for name in
            SERVICES
                .iter()
                .map(|s| s.package)
                .chain(["backup", "payment-sim", "carrier-sim"])
        {
            let bin = root().join("target").join("debug").join(name);
            anyhow::ensure!(bin.is_file(), "{} is not built", bin.display());
        }
    } else if !SERVICES.is_empty() {
        let mut args = vec!["build", "--quiet"];
        if release {
            args.push("--release");
        }
        for s in SERVICES {
            args.extend(["-p", s.package]);
        }
        args.extend(["-p", "backup", "-p", "payment-sim", "-p", "carrier-sim"]);
        crate::run("cargo", &args)?;
    }
    children.push((
        "payment-sim",
        spawn_paysim(&certs, if release { "release" } else { "debug" })?,
    ));
    children.push((
        "carrier-sim",
        spawn_carrier(&certs, if release { "release" } else { "debug" })?,
    ));
    for service in SERVICES {
        children.push((
            service.package,
            spawn(
                service,
                &certs,
                &kek,
                &s3,
                if release { "release" } else { "debug" },
            )?,
        ));
    }
    let ca_pem = std::fs::read_to_string(&certs.ca)?;
    let paysim_probe = crate::seed::client_with_identity(&certs.paysim.0, &certs.xtask_client)?;
    crate::seed::wait_ready(
        &paysim_probe,
        &format!("https://localhost:{PAYSIM_PORT}/healthz"),
        Duration::from_secs(60),
    )
    .await?;
    let carrier_probe = crate::seed::client_with_identity(&certs.carrier.0, &certs.xtask_client)?;
    crate::seed::wait_ready(
        &carrier_probe,
        &format!("https://localhost:{CARRIER_PORT}/healthz"),
        Duration::from_secs(60),
    )
    .await?;
    let probe = crate::seed::client_with_identity(&certs.ca, &certs.xtask_client)?;
    // Only platform staff reach access-control: its probe presents the officer's key.
    let staff_probe = crate::seed::client_with_identity(
        &certs.ca,
        &certs.staff.identity(crate::ops::DEV_STAFF[0].login),
    )?;
    for s in SERVICES {
        crate::seed::wait_ready(
            if s.package == "access-control" {
                &staff_probe
            } else {
                &probe
            },
            &format!("https://localhost:{}/readyz", s.https_port),
            Duration::from_secs(60),
        )
        .await?;
    }
    let profile = if release { "release" } else { "debug" };
    let access = SERVICES
        .iter()
        .find(|s| s.package == "access-control")
        .context("access-control is in the stack")?;
    crate::ops::bootstrap(command(access, &certs, &kek, profile)?, &certs.staff).await?;
    let platform_staff = crate::ops::dev_members(&certs.ca, &certs.staff).await?;
    let shops =
        crate::seed::demo_shops(&ca_pem, &format!("https://localhost:{ADMIN_PORT}")).await?;
    // The backup worker: every shop is backed up at once (the demo shops now exist), then
    // hourly, and pruned after each run.
    children.push((
        "backup",
        spawn_backup(&s3, &kek, if release { "release" } else { "debug" })?,
    ));

    let services: serde_json::Map<String, serde_json::Value> = SERVICES
        .iter()
        .map(|s| {
            (
                s.package.to_owned(),
                json!({
                    "url": format!("https://localhost:{}", s.https_port),
                    "http_redirect": s.http_port.map(|(p, _)| format!("http://localhost:{p}")),
                    "client_certificate_required": s.internal,
                }),
            )
        })
        .collect();
    let roles: serde_json::Map<String, serde_json::Value> = SERVICE_ROLES
        .iter()
        .map(|r| Ok(((*r).to_owned(), json!(db::url_for(r)?))))
        .collect::<anyhow::Result<_>>()?;
    let stack = json!({
        "postgres": { "database": db::DEV_DB, "roles": roles },
        "redis": deps::redis_url(),
        "tls": {
            "ca": certs.ca,
            "server_cert": certs.cert,
            "server_key": certs.key,
            "storefront_client_cert": certs.storefront_client.0,
            "storefront_client_key": certs.storefront_client.1,
        },
        "kek_file": kek,
        "s3": {
            "endpoint": s3.endpoint,
            "region": crate::garage::REGION,
            "bucket": crate::garage::BUCKET,
            "credentials": dev_dir().join("garage").join("s3.json"),
        },
        "services": services,
        "payment_processor": {
            "url": PAYSIM_ORIGIN,
            "ca": certs.paysim.0,
            "webhooks_to": format!("https://localhost:{WEBHOOK_PORT}/v1/processor/webhooks"),
            "test_cards": {
                "paid": ["4242 4242 4242 4242", "5555 5555 5555 4444"],
                "declined": "4000 0000 0000 0002",
                "insufficient_funds": "4000 0000 0000 9995",
            },
        },
        "carrier": { "url": format!("https://localhost:{CARRIER_PORT}"), "ca": certs.carrier.0 },
        "shops": shops.iter().map(|s| {
            let mut s = s.clone();
            let host = s["host_names"][0].as_str().unwrap_or("").to_owned();
            s["storefront_url"] = json!(format!("https://{host}:{STOREFRONT_PORT}/"));
            s
        }).collect::<Vec<_>>(),
        "admin_url": format!("https://localhost:{ADMIN_PORT}/"),
        "platform_staff": {
            "url": format!("https://localhost:{}/", crate::ops::ACCESS_PORT),
            "client_ca": certs.staff.ca,
            "members": platform_staff.iter().map(|m| {
                let login = m["login"].as_str().unwrap_or("");
                let (cert, key) = certs.staff.identity(login);
                json!({ "login": login, "roles": m["roles"], "certificate": cert, "key": key,
                        "password": crate::seed::DEMO_PASSWORD, "totp_key": crate::ops::totp_key(login) })
            }).collect::<Vec<_>>(),
        },
        "supervisor_pid": std::process::id(),
        "pids": children
            .iter()
            .map(|(name, child)| ((*name).to_owned(), json!(child.id())))
            .collect::<serde_json::Map<_, _>>(),
    });
    let stack_path = dev_dir().join("stack.json");
    write_file(&stack_path, &serde_json::to_string_pretty(&stack)?, true)?;

    println!();
    println!(
        "  Postgres   {} (database {})",
        db::url_for("storefront")?.split('@').nth(1).unwrap_or(""),
        db::DEV_DB
    );
    println!("  Redis      {}", deps::redis_url());
    println!(
        "  Mail       SMTP {}, inbox http://{}/ (maildev)",
        deps::MAIL_SMTP,
        deps::MAIL_WEB
    );
    println!(
        "  Payments   {PAYSIM_ORIGIN} (processor simulator, own CA; test card 4242 4242 4242 4242)"
    );
    println!("  Carrier    https://localhost:{CARRIER_PORT} (carrier simulator, own CA)");
    println!(
        "  S3         {} (Garage, bucket {}; backups hourly: target/{}/backup list)",
        s3.endpoint,
        crate::garage::BUCKET,
        if release { "release" } else { "debug" }
    );
    println!(
        "  Audit      chains sealed by the backup worker (key {}); check a shop's with\n             \
         APP_BACKUP_AUDIT_KEY_FILE=… target/{}/backup audit-verify --tenant <handle>",
        audit_key()?.display(),
        if release { "release" } else { "debug" }
    );
    for s in SERVICES {
        let note = if s.internal {
            " (internal, client certificate required)"
        } else {
            ""
        };
        println!(
            "  {:<12} https://localhost:{}{note}",
            s.package, s.https_port
        );
    }
    for shop in &shops {
        let host = shop["host_names"][0].as_str().unwrap_or("");
        println!(
            "  shop         {} at https://{host}:{STOREFRONT_PORT}/",
            shop["name"].as_str().unwrap_or("")
        );
        println!(
            "               merchant login at https://localhost:{ADMIN_PORT}/login: shop {}, {} / {}",
            shop["login"]["shop"].as_str().unwrap_or(""),
            shop["login"]["email"].as_str().unwrap_or(""),
            crate::seed::DEMO_PASSWORD
        );
        println!(
            "               second factor: `{}` prints the code (key in {})",
            shop["login"]["code"].as_str().unwrap_or(""),
            crate::seed::totp_key_path(shop["handle"].as_str().unwrap_or("")).display()
        );
    }
    for m in &crate::ops::DEV_STAFF {
        println!(
            "  platform     {} at https://localhost:{}/ with certificate {} (key beside it), password {}, code `cargo xtask code ops-{}`",
            m.name,
            crate::ops::ACCESS_PORT,
            certs.staff.identity(m.login).0.display(),
            crate::seed::DEMO_PASSWORD,
            m.login
        );
    }
    println!(
        "  (browsers: trust {} to avoid certificate warnings)",
        certs.ca.display()
    );
    println!("  stack      {}", stack_path.display());
    println!();
    Ok(())
}

/// Resolves with the name of the first child that exits (never, if there are none).
async fn wait_any(children: &mut [(&'static str, Child)]) -> String {
    if children.is_empty() {
        std::future::pending::<()>().await;
    }
    let waits = children.iter_mut().map(|(name, child)| {
        Box::pin(async move {
            let _ = child.wait().await;
            (*name).to_owned()
        })
    });
    futures_select_all(waits).await
}

async fn futures_select_all<F: Future<Output = String> + Unpin>(
    futures: impl Iterator<Item = F>,
) -> String {
    let mut futures: Vec<F> = futures.collect();
    std::future::poll_fn(move |cx| {
        for f in futures.iter_mut() {
            if let std::task::Poll::Ready(name) = std::pin::Pin::new(f).poll(cx) {
                return std::task::Poll::Ready(name);
            }
        }
        std::task::Poll::Pending
    })
    .await
}
