//! access-control's configuration, from the environment (`APP_ACCESS_CONTROL_*`,
//! `PLATFORM_KEK*`), plus the knobs tests turn (clock, sweep interval).

use std::sync::Arc;

use platform_auth::{Clock, LoginPolicy};
use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env, ServerConfig};
use sqlx::postgres::PgConnectOptions;

/// The environment prefix.
pub const ENV_PREFIX: &str = "APP_ACCESS_CONTROL";

/// Everything the service needs to start.
pub struct Config {
    /// The listener; its client CA is the platform staff CA and a certificate is required.
    pub server: ServerConfig,
    /// Postgres as the `access_control` role.
    pub database: PgConnectOptions,
    /// Unwraps shop keys (to open fields under a grant) and seals staff TOTP secrets.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// Concurrent password hashes.
    pub hash_slots: usize,
    /// Failed-login throttling.
    pub login_policy: LoginPolicy,
    /// How often grants that ran out are closed.
    pub sweep_every: std::time::Duration,
    /// What authenticator apps show as the issuer.
    pub totp_issuer: String,
    /// Time (tests use a manual clock).
    pub clock: Clock,
}

impl Config {
    /// Reads and checks the environment. Refuses a listener without a required client
    /// certificate: platform staff log in with one, always.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let server = ServerConfig::from_env(&env)?;
        if server.client_ca.is_none() || !server.require_client_cert {
            return Err(ConfigError::Invalid {
                var: env.name("REQUIRE_CLIENT_CERT"),
                reason: format!(
                    "platform staff log in with a client certificate: set {} to the staff CA and this to true",
                    env.name("CLIENT_CA")
                ),
            });
        }
        Ok(Config {
            server,
            database: env.parse("DATABASE_URL")?,
            kek: Arc::new(Env::new("PLATFORM").secret_from_file_or_var(
                "KEK_FILE",
                "KEK",
                LocalKek::from_file_or_platform_env,
            )?),
            hash_slots: std::thread::available_parallelism().map_or(2, usize::from),
            login_policy: LoginPolicy::default(),
            sweep_every: std::time::Duration::from_secs(env.parse_or("SWEEP_EVERY_SECS", 30)?),
            totp_issuer: env
                .optional("TOTP_ISSUER")
                .unwrap_or_else(|| "Platform operations".to_owned()),
            clock: Clock::system(),
        })
    }
}
