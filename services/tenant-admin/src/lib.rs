//! tenant-admin: the merchant console (server-rendered HTML) and its JSON API under
//! `/api/v1`: shop sign-up, staff login with sessions and CSRF protection, the catalog
//! (products, variants, collections, images, CSV import and export), store settings with
//! the checkout field configuration (O2), and versioned privacy policies (O20).
//!
//! Every tenant row is reached through `TenantDb` as the `tenant_admin` role, scoped to
//! the tenant of the staff member's session; another tenant's ids answer 404.
//!
//! What this service must never do: trust a tenant id from anywhere but the session,
//! store a password or a session token in clear, or put staff emails in logs.

mod catalog;
mod clock;
mod csv_io;
pub mod domain;
mod error;
mod pages;
mod session;
mod settings;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};
use platform_auth::{Hasher, LoginPolicy};
use platform_tenancy::TenantDb;
use platform_vault::{LocalKek, Vault};
use platform_web::{ConfigError, Env, Readiness, ReadinessCheck, ServerConfig, service_router};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use clock::Clock;
pub use error::ApiError;
pub use session::IpLimiter;

/// The environment prefix of this service's variables.
pub const ENV_PREFIX: &str = "APP_TENANT_ADMIN";

/// Configuration, from the environment.
pub struct Config {
    /// Listeners and TLS.
    pub server: ServerConfig,
    /// Postgres URL of the `tenant_admin` role.
    pub database_url: SecretString,
    /// Shops are served at `<handle>.<shop_domain>` (`shop.localhost` in development).
    pub shop_domain: String,
    /// The public port of the storefront (for links to shops; 443 in production).
    pub storefront_port: u16,
    /// Path of the KEK file (`PLATFORM_KEK_FILE`); else `PLATFORM_KEK` holds the KEK.
    pub kek_file: Option<std::path::PathBuf>,
}

impl Config {
    /// Reads `APP_TENANT_ADMIN_*` and `PLATFORM_KEK_FILE` / `PLATFORM_KEK`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let platform = Env::new("PLATFORM");
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            database_url: SecretString::from(env.required("DATABASE_URL")?),
            shop_domain: env
                .optional("SHOP_DOMAIN")
                .unwrap_or_else(|| "shop.localhost".to_owned()),
            storefront_port: env.parse_or("STOREFRONT_PORT", 443)?,
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
    /// Tenant-scoped database access as `tenant_admin`.
    pub db: TenantDb,
    /// Field encryption and blind indexes.
    pub vault: Vault,
    /// Bounded password hashing.
    pub hasher: Hasher,
    /// Lockout and throttling rules.
    pub policy: LoginPolicy,
    /// Time (injectable for tests).
    pub clock: Clock,
    /// Failed logins per client network.
    pub ip_limiter: Arc<IpLimiter>,
    /// Shops live at `<handle>.<shop_domain>`.
    pub shop_domain: Arc<str>,
    /// Public storefront port, for shop links.
    pub storefront_port: u16,
}

/// Connects the pool (lazily: the service starts even while Postgres is down, and
/// `/readyz` tells).
pub fn connect(database_url: &SecretString) -> Result<TenantDb, sqlx::Error> {
    let options: PgConnectOptions = database_url.expose_secret().parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_lazy_with(options);
    Ok(TenantDb::new(pool))
}

/// The whole application: routes, state and the shared web layers.
pub fn router(state: AppState) -> Router {
    let db = state.db.clone();
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    }));
    let api = Router::new()
        .route("/api/v1/signup", post(session::signup_api))
        .route("/api/v1/login", post(session::login_api))
        .route("/api/v1/logout", post(session::logout_api))
        .route("/api/v1/me", get(session::me_api))
        .route(
            "/api/v1/products",
            get(catalog::list_products).post(catalog::create_product),
        )
        .route(
            "/api/v1/products/{id}",
            get(catalog::get_product)
                .patch(catalog::update_product)
                .delete(catalog::delete_product),
        )
        .route(
            "/api/v1/products/{id}/variants",
            post(catalog::create_variant),
        )
        .route(
            "/api/v1/variants/{id}",
            axum::routing::patch(catalog::update_variant).delete(catalog::delete_variant),
        )
        .route(
            "/api/v1/collections",
            get(catalog::list_collections).post(catalog::create_collection),
        )
        .route(
            "/api/v1/collections/{id}",
            get(catalog::get_collection).delete(catalog::delete_collection),
        )
        .route(
            "/api/v1/collections/{id}/products/{product_id}",
            put(catalog::add_to_collection).delete(catalog::remove_from_collection),
        )
        .route(
            "/api/v1/settings",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route("/api/v1/privacy-policies", get(settings::list_policies))
        .route("/api/v1/privacy-policies/draft", put(settings::save_draft))
        .route(
            "/api/v1/privacy-policies/draft/publish",
            post(settings::publish_draft),
        )
        .route(
            "/api/v1/catalog.csv",
            get(csv_io::export_csv).post(csv_io::import_csv),
        );
    let app = api.merge(pages::routes()).with_state(state);
    service_router(app, readiness)
}
