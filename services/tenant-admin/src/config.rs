//! tenant-admin's configuration, from the environment (`APP_TENANT_ADMIN_*`,
//! `PLATFORM_KEK*`), plus the knobs tests turn (clock, login policy, limiter budget).

use std::sync::Arc;

use platform_auth::LoginPolicy;
use platform_vault::{KeyEncryptionKey, LocalKek};
use platform_web::{ConfigError, Env, ServerConfig};
use sqlx::postgres::PgConnectOptions;

use crate::Clock;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_TENANT_ADMIN";

/// Everything tenant-admin needs to start.
pub struct Config {
    /// Listeners and TLS.
    pub server: ServerConfig,
    /// Postgres as the `tenant_admin` role.
    pub database: PgConnectOptions,
    /// Shops are served at `<handle>.<shop_domain>` (`shop.localhost` in development).
    pub shop_domain: String,
    /// The public port of the storefront (for links to shops; 443 in production).
    pub storefront_port: u16,
    /// The key-encryption key that wraps each shop's data key.
    pub kek: Arc<dyn KeyEncryptionKey>,
    /// Password hashes computed at once (the rest queue, then get a 503).
    pub hash_slots: usize,
    /// How long a login or sign-up waits in that queue before the 503.
    pub hash_queue_wait: std::time::Duration,
    /// Lockout and throttling of staff logins.
    pub login_policy: LoginPolicy,
    /// Failed logins allowed per client network per ten minutes.
    pub failed_logins_per_network: u32,
    /// Shops one client network may open per hour.
    pub signups_per_network_per_hour: u32,
    /// The orders service, for the order pages; none leaves them answering 503
    /// `orders.unavailable` (a console deployed without orders, or a test).
    pub orders: Option<OrdersLink>,
    /// Time (a manual clock in tests).
    pub clock: Clock,
    /// The console's public address for links in mail (`https://localhost:8444`); none:
    /// `https://localhost:<bound port>`.
    pub public_url: Option<String>,
    /// Staff mail (invitations, access reviews); none: the outbox waits.
    pub mail: Option<MailLink>,
    /// Where product pictures are kept (`IMAGES_BUCKET`, `IMAGES_S3_*`); none: uploads
    /// answer 503 `images.unavailable`.
    pub images: Option<platform_images::S3Config>,
    /// Lets catalog imports fetch pictures from this machine and private networks
    /// (`IMAGES_FETCH_PRIVATE`; development and tests only, false by default).
    pub fetch_private_images: bool,
}

/// How staff mail leaves.
#[derive(Debug, Clone)]
pub struct MailLink {
    /// The SMTP relay (`smtp://127.0.0.1:1025`).
    pub smtp_url: String,
    /// The sender address.
    pub from: String,
    /// How often the outbox is looked at.
    pub every: std::time::Duration,
}

/// Where the orders service runs and how the console reaches it (mutual TLS).
#[derive(Debug, Clone)]
pub struct OrdersLink {
    /// `https://localhost:8447`.
    pub url: String,
    /// The CA of its certificate.
    pub ca: std::path::PathBuf,
    /// The console's client certificate and key (named `tenant-admin`).
    pub identity: (std::path::PathBuf, std::path::PathBuf),
}

impl Config {
    /// Reads `APP_TENANT_ADMIN_*` (`PUBLIC_URL`; `SMTP_URL` with `MAIL_FROM` and
    /// `MAIL_EVERY_SECS`, none by default) and the platform KEK (`PLATFORM_KEK_FILE`, else
    /// `PLATFORM_KEK`); the login rules are the defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            database: env.parse("DATABASE_URL")?,
            shop_domain: env
                .optional("SHOP_DOMAIN")
                .unwrap_or_else(|| "shop.localhost".to_owned()),
            storefront_port: env.parse_or("STOREFRONT_PORT", 443)?,
            kek: Arc::new(Env::new("PLATFORM").secret_from_file_or_var(
                "KEK_FILE",
                "KEK",
                LocalKek::from_file_or_platform_env,
            )?),
            hash_slots: std::thread::available_parallelism().map_or(2, usize::from),
            hash_queue_wait: std::time::Duration::from_secs(2),
            login_policy: LoginPolicy::default(),
            failed_logins_per_network: 30,
            signups_per_network_per_hour: env.parse_or("SIGNUPS_PER_NETWORK_PER_HOUR", 10)?,
            clock: Clock::system(),
            public_url: env.optional("PUBLIC_URL"),
            mail: match env.optional("SMTP_URL") {
                None => None,
                Some(smtp_url) => Some(MailLink {
                    smtp_url,
                    from: env
                        .optional("MAIL_FROM")
                        .unwrap_or_else(|| "staff@shop.localhost".to_owned()),
                    every: std::time::Duration::from_secs(env.parse_or("MAIL_EVERY_SECS", 5)?),
                }),
            },
            images: platform_images::config_from_env(&env)?,
            fetch_private_images: env.parse_or("IMAGES_FETCH_PRIVATE", false)?,
            orders: match env.optional("ORDERS_URL") {
                None => None,
                Some(url) => Some(OrdersLink {
                    url,
                    ca: env.file("ORDERS_CA")?,
                    identity: (
                        env.file("ORDERS_CLIENT_CERT")?,
                        env.file("ORDERS_CLIENT_KEY")?,
                    ),
                }),
            },
        })
    }
}
