//! The orders service's configuration, from the environment (`APP_ORDERS_*`, `PLATFORM_KEK*`).

use std::sync::Arc;
use std::time::Duration;

use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env, ServerConfig};
use sqlx::postgres::PgConnectOptions;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_ORDERS";

/// Who calls the orders service unless `APP_ORDERS_CALLERS` says otherwise.
pub const DEFAULT_CALLERS: &str = "storefront,tenant-admin";

/// Everything the orders service needs to start.
pub struct Config {
    /// Listeners and TLS; client certificates are required.
    pub server: ServerConfig,
    /// Postgres as the `orders` role.
    pub database: PgConnectOptions,
    /// The key-encryption key that wraps each shop's and buyer's data keys.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// The services (names in their client certificates) that may call the API.
    pub callers: Arc<[String]>,
    /// How often unpaid orders whose hold ran out are cancelled and their stock returned.
    pub hold_sweep_every: Duration,
    /// The mail outbox's relay; none sends no mail (rows wait in the outbox).
    pub mail: Option<MailConfig>,
}

/// Where the outbox's mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP relay (`smtp://127.0.0.1:1025`).
    pub smtp_url: String,
    /// The sender address; the shop's name is its display name.
    pub from: String,
    /// How often the outbox is read.
    pub every: Duration,
}

impl Config {
    /// Reads `APP_ORDERS_*` (`CALLERS`: comma-separated service names, default
    /// `storefront,tenant-admin`; `HOLD_SWEEP_SECS`, default 30; `SMTP_URL` with
    /// `MAIL_FROM` and `MAIL_EVERY_SECS`, none by default) and the platform KEK
    /// (`PLATFORM_KEK_FILE`, else `PLATFORM_KEK`). Refuses to start without
    /// client-certificate authentication.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let server = ServerConfig::from_env(&env)?;
        if !server.require_client_cert {
            return Err(ConfigError::Invalid {
                var: env.name("REQUIRE_CLIENT_CERT"),
                reason: "the orders service is internal: it only runs with client \
                         certificates required (set it to true and name the CA in \
                         APP_ORDERS_CLIENT_CA)"
                    .to_owned(),
            });
        }
        let sweep: u64 = env.parse_or("HOLD_SWEEP_SECS", 30)?;
        if sweep == 0 {
            return Err(ConfigError::Invalid {
                var: env.name("HOLD_SWEEP_SECS"),
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(Config {
            server,
            database: env.parse("DATABASE_URL")?,
            callers: env
                .optional("CALLERS")
                .as_deref()
                .unwrap_or(DEFAULT_CALLERS)
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            kek: Arc::new(Env::new("PLATFORM").secret_from_file_or_var(
                "KEK_FILE",
                "KEK",
                LocalKek::from_file_or_platform_env,
            )?),
            hold_sweep_every: Duration::from_secs(sweep),
            mail: match env.optional("SMTP_URL") {
                None => None,
                Some(smtp_url) => Some(MailConfig {
                    smtp_url,
                    from: env
                        .optional("MAIL_FROM")
                        .unwrap_or_else(|| "orders@localhost".to_owned()),
                    every: Duration::from_secs(env.parse_or("MAIL_EVERY_SECS", 2)?),
                }),
            },
        })
    }
}
