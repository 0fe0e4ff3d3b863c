//! cart: session carts in Redis, for the storefront. An internal service: it listens on
//! HTTPS and refuses any caller without a client certificate from the platform's CA
//! (mutual TLS, O7), and it trusts the caller to name the shop.
//!
//! A cart is a few Redis keys under one hash tag (`cart:{<tenant>:<cart>}:…`) with a
//! sliding TTL: the shop's setting (30 days by default) for cookie carts, two hours for
//! cookie-less ones. Updates are Lua scripts (atomic). Lines are priced from the catalog
//! in Postgres at read time, as the `cart` role under the shop's row-level security. The
//! checkout draft a visitor may keep with the cart is sealed with the shop's key from
//! `libs/vault` before it reaches Redis (O4).
//!
//! What this service must never do: trust a price from a client, put personal data into
//! Redis unencrypted or into logs, or answer without a client certificate.

pub mod api;
mod db;
pub mod domain;
mod error;
mod http;
pub mod store;

use axum::Router;
use platform_tenancy::TenantDb;
use platform_vault::{LocalKek, Vault};
use platform_web::{ConfigError, Env, Readiness, ReadinessCheck, ServerConfig, service_router};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use error::CartError;
pub use store::{CartStore, StoreError};

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_CART";

/// Configuration, from the environment.
pub struct Config {
    /// Listeners and TLS; client certificates are required.
    pub server: ServerConfig,
    /// Postgres URL of the `cart` role.
    pub database_url: SecretString,
    /// Redis URL (`redis://127.0.0.1:6379`).
    pub redis_url: SecretString,
    /// TTL of cookie-less carts, seconds.
    pub visit_ttl: u64,
    /// Path of the KEK file (`PLATFORM_KEK_FILE`); else `PLATFORM_KEK` holds the KEK.
    pub kek_file: Option<std::path::PathBuf>,
}

impl Config {
    /// Reads `APP_CART_*` and `PLATFORM_KEK_FILE` / `PLATFORM_KEK`. Refuses to start
    /// without client-certificate authentication.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let platform = Env::new("PLATFORM");
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
            database_url: SecretString::from(env.required("DATABASE_URL")?),
            redis_url: SecretString::from(
                env.optional("REDIS_URL")
                    .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            ),
            visit_ttl: env.parse_or("VISIT_TTL_SECS", domain::DEFAULT_VISIT_TTL_SECS)?,
            kek_file: platform.optional_file("KEK_FILE")?,
        })
    }

    /// Loads the KEK named by the configuration.
    pub fn load_kek(&self) -> Result<LocalKek, platform_vault::VaultError> {
        LocalKek::from_file_or_platform_env(self.kek_file.as_deref())
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// Carts.
    pub store: CartStore,
    /// The catalog, as `cart`.
    pub db: TenantDb,
    /// Sealing of checkout drafts.
    pub vault: Vault,
    /// TTL of cookie-less carts, seconds.
    pub visit_ttl: u64,
}

/// A lazy pool: the service starts while Postgres is down, and `/readyz` tells.
pub fn connect(options: PgConnectOptions) -> TenantDb {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_lazy_with(options);
    TenantDb::new(pool)
}

/// Connection options from a URL.
pub fn options(database_url: &SecretString) -> Result<PgConnectOptions, sqlx::Error> {
    database_url.expose_secret().parse()
}

/// The whole application: routes, state and the shared web layers.
pub fn router(state: AppState) -> Router {
    let db = state.db.clone();
    let store = state.store.clone();
    let readiness = Readiness::new()
        .with(ReadinessCheck::new("postgres", move || {
            let db = db.clone();
            async move { db.ping().await.map_err(|e| e.to_string()) }
        }))
        .with(ReadinessCheck::new("redis", move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        }));
    service_router(http::routes().with_state(state), readiness)
}
