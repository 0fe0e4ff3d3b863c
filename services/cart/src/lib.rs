//! cart: session carts in Redis, for the storefront. An internal service: it listens on
//! HTTPS and refuses any caller without a client certificate from the platform's CA
//! (mutual TLS, O7) and, on its API, any certificate that does not name one of the
//! services allowed to call it (`APP_CART_CALLERS`); it trusts those to name the shop.
//!
//! A cart is a few Redis keys under one hash tag (`cart:{<tenant>:<cart>}:…`) with a
//! sliding TTL: the shop's setting (30 days by default) for cookie carts, two hours for
//! cookie-less ones. Updates are Lua scripts (atomic). Lines are priced from the catalog
//! in Postgres at read time, as the `cart` role under the shop's row-level security. The
//! checkout draft a visitor may keep with the cart is sealed with the shop's key from
//! `libs/vault` before it reaches Redis (O4).
//!
//! Inside: [`config`], `app/` (use cases and domain types), `db/` (catalog reads),
//! `store` (Redis), `http/` (thin handlers) and `error` (the one status table). What
//! crosses to callers lives in `libs/cart-api`.
//!
//! What this service must never do: trust a price from a client, put personal data into
//! Redis unencrypted or into logs, or answer without a client certificate.

mod app;
pub mod config;
mod db;
mod error;
mod http;
pub mod store;

use platform_tenancy::TenantDb;
use platform_vault::Vault;
use platform_web::{BoundServer, StartError};
use secrecy::ExposeSecret;

pub use config::Config;
pub use error::CartError;
pub use store::{CartStore, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listeners or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The Redis URL is unusable.
    #[error("redis")]
    Redis(#[from] StoreError),
}

/// The cart service, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    router: axum::Router,
}

impl Application {
    /// Connects (lazily) to Postgres and Redis and binds the listeners of `config`.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let carts = app::Carts::new(
            CartStore::new(config.redis_url.expose_secret())?,
            // Plan once per connection: the cart's few statements are point reads by
            // key under the tenant policy, and Postgres otherwise re-planned each one on
            // every execution (custom plans: 11 % of all CPU in a cart-load profile).
            TenantDb::connect_lazy(
                config
                    .database
                    .options([("plan_cache_mode", "force_generic_plan")]),
                16,
            ),
            Vault::new(config.kek),
            config.visit_ttl,
        );
        let server = BoundServer::bind(&config.server)?;
        Ok(Application {
            server,
            router: http::router(carts, config.callers),
        })
    }

    /// The bound HTTPS port (useful with port 0).
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// Serves until `shutdown` resolves, then drains.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(https_port = self.https_port(), "cart listening");
        self.server.serve(self.router, shutdown).await
    }
}
