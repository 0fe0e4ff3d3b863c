//! The cart's configuration, from the environment (`APP_CART_*`, `PLATFORM_KEK*`).

use std::sync::Arc;

use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env, ServerConfig};
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;

use crate::app::domain::DEFAULT_VISIT_TTL_SECS;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_CART";

/// Everything the cart needs to start.
pub struct Config {
    /// Listeners and TLS; client certificates are required.
    pub server: ServerConfig,
    /// Postgres as the `cart` role.
    pub database: PgConnectOptions,
    /// Redis URL (`redis://127.0.0.1:6379`).
    pub redis_url: SecretString,
    /// TTL of cookie-less carts, seconds.
    pub visit_ttl: u64,
    /// The key-encryption key that wraps each shop's data key.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// The services (names in their client certificates) that may call the cart API.
    pub callers: Arc<[String]>,
}

/// Who calls the cart unless `APP_CART_CALLERS` says otherwise.
pub const DEFAULT_CALLERS: &str = "storefront";

impl Config {
    /// Reads `APP_CART_*` (`CALLERS`: comma-separated service names, default
    /// `storefront`) and the platform KEK (`PLATFORM_KEK_FILE`, else `PLATFORM_KEK`).
    /// Refuses to start without client-certificate authentication.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let server = ServerConfig::from_env(&env)?;
        if !server.require_client_cert {
            return Err(ConfigError::Invalid {
                var: env.name("REQUIRE_CLIENT_CERT"),
                reason: "the cart service is internal: it only runs with client certificates \
                         required (set it to true and name the CA in APP_CART_CLIENT_CA)"
                    .to_owned(),
            });
        }
        Ok(Config {
            server,
            database: env.parse("DATABASE_URL")?,
            redis_url: SecretString::from(
                env.optional("REDIS_URL")
                    .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            ),
            visit_ttl: env.parse_or("VISIT_TTL_SECS", DEFAULT_VISIT_TTL_SECS)?,
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
        })
    }
}
