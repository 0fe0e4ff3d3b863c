//! The backup worker's configuration, from the environment (`APP_BACKUP_*`,
//! `PLATFORM_KEK*`).

use std::sync::Arc;

use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env};
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;

use crate::S3Config;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_BACKUP";

/// Configuration, from the environment.
pub struct Config {
    /// Postgres as the `backup` role.
    pub database: PgConnectOptions,
    /// The object store.
    pub s3: S3Config,
    /// Seconds between scheduled runs of the worker.
    pub interval_secs: u64,
    /// The key-encryption key that wraps each shop's data keys.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// The audit log's checkpoints (O22); none: the worker seals no chain heads.
    pub audit: Option<AuditConfig>,
    /// Closing shops; none: the worker closes no shop.
    pub closing: Option<ClosingConfig>,
    /// The product pictures' bucket (`IMAGES_BUCKET`, `IMAGES_S3_*`): a closing shop's
    /// pictures are deleted from it. None: the platform stores no pictures.
    pub images: Option<platform_images::S3Config>,
}

/// How the worker closes shops whose closure is due.
pub struct ClosingConfig {
    /// The platform's certificate signing key (the one erasure certificates use).
    pub certificate_key: platform_audit::AuditKey,
    /// The SMTP relay the deletion certificates leave through (none: they wait in the
    /// closure record for the operator).
    pub smtp_url: Option<String>,
    /// The sending address.
    pub from: String,
    /// How often the worker looks for due closures.
    pub check_secs: u64,
}

/// How the worker seals the shops' audit chains.
pub struct AuditConfig {
    /// The platform's audit signing key.
    pub key: platform_audit::AuditKey,
    /// Seal after this many new events.
    pub every_events: i64,
    /// And at least this often while events arrive.
    pub every: chrono::Duration,
    /// How often the worker looks.
    pub check_secs: u64,
}

impl Config {
    /// Reads `APP_BACKUP_*` (with `AUDIT_KEY_FILE`, a base64url Ed25519 seed, and
    /// `AUDIT_EVERY_EVENTS`, `AUDIT_EVERY_SECS`, `AUDIT_CHECK_SECS`; for closing shops
    /// `CERTIFICATE_KEY_FILE`, `SMTP_URL`, `MAIL_FROM`, `CLOSE_CHECK_SECS`) and
    /// `PLATFORM_KEK_FILE` / `PLATFORM_KEK`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        Ok(Config {
            database: env.parse("DATABASE_URL")?,
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
            kek: Arc::new(Env::new("PLATFORM").secret_from_file_or_var(
                "KEK_FILE",
                "KEK",
                LocalKek::from_file_or_platform_env,
            )?),
            audit: match env.optional("AUDIT_KEY_FILE") {
                None => None,
                Some(_) => Some(AuditConfig {
                    key: env.secret_from_file_or_var("AUDIT_KEY_FILE", "AUDIT_KEY", |path| {
                        let text =
                            std::fs::read_to_string(path.unwrap_or(std::path::Path::new("")))
                                .map_err(|e| e.to_string())?;
                        platform_audit::AuditKey::from_seed_text(&text).map_err(|e| e.to_string())
                    })?,
                    every_events: env.parse_or("AUDIT_EVERY_EVENTS", 100i64)?,
                    every: chrono::Duration::seconds(env.parse_or("AUDIT_EVERY_SECS", 3600i64)?),
                    check_secs: env.parse_or("AUDIT_CHECK_SECS", 60u64)?,
                }),
            },
            images: platform_images::config_from_env(&env)?,
            closing: match env.optional("CERTIFICATE_KEY_FILE") {
                None => None,
                Some(_) => Some(ClosingConfig {
                    certificate_key: env.secret_from_file_or_var(
                        "CERTIFICATE_KEY_FILE",
                        "CERTIFICATE_KEY",
                        |path| {
                            let text =
                                std::fs::read_to_string(path.unwrap_or(std::path::Path::new("")))
                                    .map_err(|e| e.to_string())?;
                            platform_audit::AuditKey::from_seed_text_named("certificate", &text)
                                .map_err(|e| e.to_string())
                        },
                    )?,
                    smtp_url: env.optional("SMTP_URL"),
                    from: env
                        .optional("MAIL_FROM")
                        .unwrap_or_else(|| "platform@localhost".to_owned()),
                    check_secs: env.parse_or("CLOSE_CHECK_SECS", 300u64)?,
                }),
            },
        })
    }
}
