//! Test kit: a fresh, migrated Postgres database per test.
//!
//! Each [`TestDb`] is a new database on the local cluster, owned and migrated by the owner
//! role exactly as `cargo xtask up` migrates the dev database, and dropped when the value is
//! dropped, so tests run in parallel and leave nothing behind. Tests of tenant data must
//! connect with [`TestDb::pool_as`] and a service role: the superuser bypasses row-level
//! security and a test run as superuser proves nothing.
//!
//! This crate is for tests and tooling only; services never depend on it.

mod console;
pub use console::{Authenticator, ConsoleLogin, console_login};

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// The role that owns the schema and runs migrations.
pub const OWNER_ROLE: &str = "platform_owner";

/// The login roles of the services (see `migrations/`).
pub const SERVICE_ROLES: [&str; 6] = [
    "storefront",
    "cart",
    "orders",
    "tenant_admin",
    "access_control",
    "backup",
];

/// Environment variable naming the superuser connection used to create and drop databases.
pub const ADMIN_URL_VAR: &str = "PLATFORM_PG_ADMIN_URL";

/// Default superuser connection (this machine and CI: trust auth on 127.0.0.1).
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// Prefix of every database this kit creates; stale ones (a killed test run) are swept.
pub const TEST_DB_PREFIX: &str = "platform_test_";

/// The password `cargo xtask` gives a role on a development cluster. Under trust
/// authentication (this machine, CI) it is not even checked; under scram it is.
pub fn dev_password(role: &str) -> String {
    format!("dev-{role}")
}

/// What can go wrong while preparing a test database.
#[derive(Debug, thiserror::Error)]
pub enum TestDbError {
    /// The admin URL could not be parsed.
    #[error("{ADMIN_URL_VAR} is not a valid Postgres URL: {0}")]
    AdminUrl(#[source] sqlx::Error),
    /// A statement against the cluster failed.
    #[error("database error while preparing a test database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// An HTTPS client builder that trusts exactly the certificates in `ca_pem` (the dev CA),
/// with rustls on the ring provider and redirects not followed. Callers add cookies,
/// name resolution or timeouts as they need.
pub fn https_client(ca_pem: &str) -> Result<reqwest::ClientBuilder, rustls::Error> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| rustls::Error::General(e.to_string()))?;
        roots.add(cert)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none()))
}

/// Connection options of the superuser, from [`ADMIN_URL_VAR`] or the default.
pub fn admin_options() -> Result<PgConnectOptions, TestDbError> {
    let url = std::env::var(ADMIN_URL_VAR).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
    url.parse::<PgConnectOptions>()
        .map(ConnectOptions::disable_statement_logging)
        .map_err(TestDbError::AdminUrl)
}

/// Creates the owner role if the cluster lacks it (tolerating a concurrent creator).
pub async fn ensure_owner_role(admin: &mut PgConnection) -> Result<(), TestDbError> {
    sqlx::query(
        "do $$ begin \
           create role platform_owner login createrole nosuperuser nobypassrls; \
         exception when duplicate_object or unique_violation then null; \
         end $$",
    )
    .execute(&mut *admin)
    .await?;
    Ok(())
}

/// A fresh database, migrated by the owner role, dropped (forcefully) on drop.
pub struct TestDb {
    name: String,
    admin: PgConnectOptions,
}

impl TestDb {
    /// Creates and migrates a new database.
    pub async fn new() -> Result<Self, TestDbError> {
        let admin = admin_options()?;
        let mut conn = PgConnection::connect_with(&admin).await?;
        ensure_owner_role(&mut conn).await?;
        sweep_stale(&mut conn).await?;
        let name = format!("{TEST_DB_PREFIX}{}", uuid::Uuid::new_v4().simple());
        // Identifiers cannot be bound; `name` is built here from a UUID, never from input.
        let create = format!("create database {name} owner {OWNER_ROLE}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut conn)
            .await?;
        conn.close().await?;

        let db = TestDb { name, admin };
        let owner = db.pool_as(OWNER_ROLE, 1).await?;
        platform_tenancy::MIGRATOR.run(&owner).await?;
        owner.close().await;
        Ok(db)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection options for `role` on this database (dev password, same host as admin).
    pub fn options_for(&self, role: &str) -> PgConnectOptions {
        self.admin
            .clone()
            .username(role)
            .password(&dev_password(role))
            .database(&self.name)
    }

    /// A pool connected as `role`, with at most `max` connections.
    pub async fn pool_as(&self, role: &str, max: u32) -> Result<PgPool, TestDbError> {
        Ok(PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(self.options_for(role))
            .await?)
    }

    /// A pool connected as the owner role (migrations, fixtures, the catalog lint).
    ///
    /// The owner is subject to FORCE ROW LEVEL SECURITY too, so fixtures of tenant rows go
    /// through the tenancy API like everything else.
    pub async fn owner_pool(&self) -> Result<PgPool, TestDbError> {
        self.pool_as(OWNER_ROLE, 2).await
    }

    /// Superuser connection options for this database (benchmarks of the RLS-free path).
    pub fn superuser_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    /// A superuser connection to this database, for tests that must break things on
    /// purpose (dropping a policy to prove the lint notices). Never for tenant data.
    pub async fn superuser(&self) -> Result<PgConnection, TestDbError> {
        Ok(PgConnection::connect_with(&self.superuser_options()).await?)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop cannot await: a short-lived thread with its own runtime drops the database.
        let name = std::mem::take(&mut self.name);
        let admin = self.admin.clone();
        let joined = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(drop_database(&admin, &name));
            }
        })
        .join();
        drop(joined);
    }
}

async fn drop_database(admin: &PgConnectOptions, name: &str) {
    if let Ok(mut conn) = PgConnection::connect_with(admin).await {
        let sql = format!("drop database if exists {name} with (force)");
        // Best effort: a database left behind is swept by the next run.
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// Drops test databases older than an hour (left by a killed run).
async fn sweep_stale(admin: &mut PgConnection) -> Result<(), TestDbError> {
    let stale: Vec<String> = sqlx::query_scalar(
        "select datname from pg_database d \
         where datname like 'platform\\_test\\_%' \
           and (pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification \
               < now() - interval '1 hour'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in stale {
        let sql = format!("drop database if exists {name} with (force)");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *admin)
            .await;
    }
    Ok(())
}

/// A TCP forwarder in front of a real server that a test can close and reopen on the
/// same port: the way to make Redis (or anything) "go away" without stopping the shared
/// server other tests use.
pub struct TcpGate {
    port: u16,
    upstream: std::net::SocketAddr,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl TcpGate {
    /// Opens a gate on a free port of 127.0.0.1 that forwards to `upstream`.
    pub async fn open_to(upstream: std::net::SocketAddr) -> std::io::Result<TcpGate> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let gate = TcpGate {
            port,
            upstream,
            task: std::sync::Mutex::new(None),
        };
        gate.serve(listener);
        Ok(gate)
    }

    /// The gate's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let upstream = self.upstream;
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        if let Ok(mut slot) = self.task.lock()
            && let Some(old) = slot.replace(task)
        {
            old.abort();
        }
    }

    /// Closes the listener and cuts every open connection (dropping the task drops the
    /// connection set, which aborts them): the server now looks down.
    pub async fn close(&self) {
        let task = self.task.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Reopens the gate on the same port.
    pub async fn reopen(&self) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        self.serve(listener);
        Ok(())
    }
}

impl Drop for TcpGate {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.task.lock()
            && let Some(task) = slot.take()
        {
            task.abort();
        }
    }
}

/// How tests reach the S3 server of the dev stack (Garage, started by `cargo xtask test`
/// and `cargo xtask up`, which write these settings to `target/dev/garage/s3.json`).
#[derive(Clone)]
pub struct S3Settings {
    /// Endpoint URL.
    pub endpoint: String,
    /// Region.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// Reads the dev S3 settings; the error says how to get them.
pub fn s3_settings() -> Result<S3Settings, String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/dev/garage/s3.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e}; `cargo xtask test` (or `cargo xtask s3`) starts Garage and writes it",
            path.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{} lacks {k}", path.display()))
    };
    Ok(S3Settings {
        endpoint: field("endpoint")?,
        region: field("region")?,
        access_key_id: field("access_key_id")?,
        secret_access_key: field("secret_access_key")?,
    })
}

pub use platform_images::S3Config;

/// A photo-like JPEG of `width` × `height` (every pixel different, so it compresses as a
/// photo does), for upload tests.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 199) as u8])
    });
    let mut out = Vec::new();
    // Encoding an in-memory picture into a Vec cannot fail but for a bug in the encoder.
    let _ = image::DynamicImage::ImageRgb8(picture).write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    );
    out
}

/// The dev S3 as a picture store in `bucket` (each test suite its own bucket).
pub fn images_s3(bucket: &str) -> Result<platform_images::S3Config, String> {
    let s3 = s3_settings()?;
    Ok(platform_images::S3Config {
        endpoint: Some(s3.endpoint),
        region: s3.region,
        bucket: bucket.to_owned(),
        access_key_id: s3.access_key_id,
        secret_access_key: secrecy::SecretString::from(s3.secret_access_key),
        path_style: true,
    })
}

/// The development SMTP server's address for tests (`PLATFORM_SMTP_URL`, default
/// `smtp://127.0.0.1:1025`: maildev, started by `cargo xtask test` and `cargo xtask up`).
pub fn smtp_url() -> String {
    std::env::var("PLATFORM_SMTP_URL").unwrap_or_else(|_| "smtp://127.0.0.1:1025".to_owned())
}

/// The development mail server's inbox API (`PLATFORM_MAIL_API`, default
/// `http://127.0.0.1:1080`): `GET /email` lists what it received.
pub fn mail_api() -> String {
    std::env::var("PLATFORM_MAIL_API").unwrap_or_else(|_| "http://127.0.0.1:1080".to_owned())
}

/// Waits (15 seconds at most) until the development mail server holds `count` messages
/// for `to`, and returns them as maildev describes them (`subject`, `text`, `to`, …).
#[allow(clippy::panic)]
pub async fn wait_for_mail(to: &str, count: usize) -> Vec<serde_json::Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let all: Vec<serde_json::Value> = match reqwest::Client::new()
            .get(format!("{}/email", mail_api()))
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(e) => panic!("maildev is not running (cargo xtask test or mail starts it): {e}"),
        };
        let mine: Vec<serde_json::Value> = all
            .into_iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|a| a["address"] == to))
            })
            .collect();
        if mine.len() >= count {
            return mine;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} mails for {to}",
            mine.len()
        );
        // Polling another process's inbox: there is nothing to await.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
