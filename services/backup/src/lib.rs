//! backup: encrypted per-tenant backups in S3, kept under a grandfather-father-son
//! retention policy, verified and restored one tenant at a time (O11, O14, O16).
//!
//! A worker (on a schedule from configuration) and a CLI share [`Backups`]. A backup reads
//! every table that has a `tenant_id` (found in the catalog, so new tables are covered
//! without code changes) through the `backup` role under row-level security, in one
//! snapshot; it is compressed, encrypted under a fresh data key wrapped by the tenant's
//! key from `libs/vault`, and uploaded to S3; its manifest goes last. Personal-data
//! columns stay in their field-level ciphertext, so shredding a data subject's key also
//! covers every backup; destroying a tenant's keys makes all its backups unreadable.
//!
//! What this crate must never do: upload a byte of plaintext, export the key tables (or
//! the erasure ledger), log row contents, or leave a partial upload that looks complete.

pub mod crypt;
pub mod db;
mod engine;
mod error;
pub mod manifest;
pub mod retention;
pub mod s3;

use platform_tenancy::{TenantDb, TenantId};
use platform_vault::LocalKek;
use platform_web::{ConfigError, Env};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use engine::{Backups, Listed, PruneReport, RestoreReport, id_time, quoted};
pub use error::BackupError;
pub use s3::{ObjectStore, S3Config};

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_BACKUP";

/// Configuration, from the environment.
pub struct Config {
    /// Postgres URL of the `backup` role.
    pub database_url: SecretString,
    /// The object store.
    pub s3: S3Config,
    /// Seconds between scheduled runs of the worker.
    pub interval_secs: u64,
    /// Path of the KEK file (`PLATFORM_KEK_FILE`); else `PLATFORM_KEK` holds the KEK.
    pub kek_file: Option<std::path::PathBuf>,
}

impl Config {
    /// Reads `APP_BACKUP_*` and `PLATFORM_KEK_FILE` / `PLATFORM_KEK`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let platform = Env::new("PLATFORM");
        Ok(Config {
            database_url: SecretString::from(env.required("DATABASE_URL")?),
            s3: S3Config {
                endpoint: env.optional("S3_ENDPOINT"),
                region: env
                    .optional("S3_REGION")
                    .unwrap_or_else(|| "us-east-1".to_owned()),
                bucket: env.required("S3_BUCKET")?,
                access_key_id: env.required("S3_ACCESS_KEY_ID")?,
                secret_access_key: SecretString::from(env.required("S3_SECRET_ACCESS_KEY")?),
                path_style: env.parse_or("S3_PATH_STYLE", true)?,
            },
            interval_secs: env.parse_or("INTERVAL_SECS", 86_400u64)?,
            kek_file: platform.optional_file("KEK_FILE")?,
        })
    }

    /// Loads the KEK named by the configuration.
    pub fn load_kek(&self) -> Result<LocalKek, platform_vault::VaultError> {
        LocalKek::from_file_or_platform_env(self.kek_file.as_deref())
    }
}

/// A small pool: the worker backs up one tenant at a time.
pub fn connect(options: PgConnectOptions) -> TenantDb {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy_with(options);
    TenantDb::new(pool)
}

/// Connection options from a URL.
pub fn options(database_url: &SecretString) -> Result<PgConnectOptions, sqlx::Error> {
    database_url.expose_secret().parse()
}

/// A tenant named by id or by handle.
pub async fn resolve_tenant(db: &TenantDb, text: &str) -> Result<TenantId, BackupError> {
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        return Ok(TenantId::from_uuid(id));
    }
    let mut tx = db.platform().await?;
    let id: Option<uuid::Uuid> = sqlx::query_scalar("select id from tenants where handle = $1")
        .bind(text)
        .fetch_optional(&mut tx)
        .await?;
    tx.commit().await?;
    id.map(TenantId::from_uuid)
        .ok_or_else(|| BackupError::UnknownTenant(text.to_owned()))
}
