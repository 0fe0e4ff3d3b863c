//! storefront: the public shop. The tenant comes from the `Host` header (exact match
//! against the shops' host names, cached and invalidated by Postgres notifications); an
//! unknown host gets a plain 404 that says nothing about other shops, a suspended shop a
//! 503. Pages are server-rendered HTML that works without JavaScript, every page links the
//! privacy policy (O20), and the same catalog is served as JSON under `/api/v1`.
//!
//! It connects as the `storefront` role, which sees active products and published
//! policies only, and nothing personal. Access logs keep client networks, never addresses
//! (O5); product views are counted per product per day, with no visitor identifier (O23).
//!
//! Carts live in the cart service (called over mutual TLS); the storefront names a
//! visitor's cart by the `cart` cookie (a random id only) or, for browsers that refuse
//! cookies, by a token in the URL path (O4). When the cart is away the shop still
//! browses: the mini-cart says "unavailable" and cart actions answer 503.
//!
//! What this service must never do: accept a tenant from anywhere but the Host header,
//! show another shop's data, or record who looked at what.

mod api;
mod cart_client;
mod cart_pages;
mod catalog;
mod error;
mod hosts;
mod http_cache;
mod page_cache;
mod pages;
mod views;
mod visit;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use platform_tenancy::TenantDb;
use platform_web::{
    ConfigError, Env, Readiness, ReadinessCheck, ServerConfig, service_router, truncate_ip,
};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use cart_client::{CartCallError, CartClient};
pub use error::ShopError;
pub use hosts::{HostCache, Shop};
pub use page_cache::PageCache;
pub use views::ViewCounter;
pub use visit::Visit;

/// Environment prefix.
pub const ENV_PREFIX: &str = "APP_STOREFRONT";

/// Configuration from the environment.
pub struct Config {
    /// Listeners and TLS.
    pub server: ServerConfig,
    /// Postgres URL of the `storefront` role.
    pub database_url: SecretString,
    /// Base URL of the cart service (`https://localhost:8445`).
    pub cart_url: String,
    /// CA that signs the cart service's certificate.
    pub cart_ca: std::path::PathBuf,
    /// The storefront's client certificate and key for the cart service (mTLS).
    pub cart_identity: (std::path::PathBuf, std::path::PathBuf),
}

impl Config {
    /// Reads `APP_STOREFRONT_*`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            database_url: SecretString::from(env.required("DATABASE_URL")?),
            cart_url: env.required("CART_URL")?,
            cart_ca: env.file("CART_CA")?,
            cart_identity: (env.file("CART_CLIENT_CERT")?, env.file("CART_CLIENT_KEY")?),
        })
    }

    /// The cart client this configuration names.
    pub fn cart_client(&self) -> Result<CartClient, Box<dyn std::error::Error>> {
        let tls = platform_web::tls::client_config(
            &self.cart_ca,
            Some((&self.cart_identity.0, &self.cart_identity.1)),
        )?;
        Ok(CartClient::new(&self.cart_url, tls)?)
    }
}

/// Shared state.
#[derive(Clone)]
pub struct AppState {
    /// Database as `storefront`.
    pub db: TenantDb,
    /// Host → shop.
    pub hosts: Arc<HostCache>,
    /// Aggregate product views.
    pub views: Arc<ViewCounter>,
    /// Rendered pages per shop.
    pub pages: Arc<PageCache>,
    /// The cart service.
    pub cart: CartClient,
}

/// Connection options from a URL.
pub fn options(database_url: &SecretString) -> Result<PgConnectOptions, sqlx::Error> {
    database_url.expose_secret().parse()
}

/// Builds the state: a lazy pool (the service starts while Postgres is down; `/readyz`
/// tells), the host and page caches with their notification listener, and the view counter.
pub fn state(options: PgConnectOptions, cart: CartClient) -> AppState {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_lazy_with(options.clone());
    let db = TenantDb::new(pool);
    let pages = Arc::new(PageCache::default());
    let hosts = Arc::new(HostCache::new(db.clone()));
    hosts.clone().listen(options, pages.clone());
    let views = Arc::new(ViewCounter::default());
    views
        .clone()
        .flush_every(db.clone(), std::time::Duration::from_secs(5));
    AppState {
        db,
        hosts,
        views,
        pages,
        cart,
    }
}

/// Access log with truncated client addresses (O5).
async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let network = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| truncate_ip(c.0.ip()).to_string())
        .unwrap_or_default();
    let response = next.run(request).await;
    tracing::info!(
        target: "access",
        %method,
        route,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        client_network = network,
        "request"
    );
    response
}

/// The application.
pub fn router(state: AppState) -> Router {
    let db = state.db.clone();
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    }));
    let app = pages::routes()
        .merge(cart_pages::routes())
        .merge(api::routes())
        // Inner: tags fresh pages with an ETag (and answers 304 on a miss); outer: the
        // page cache, which keeps the tag with the page and answers 304 itself on a hit.
        .layer(middleware::from_fn(http_cache::conditional))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::page_cache,
        ))
        .route_layer(middleware::from_fn(access_log))
        .with_state(state.clone());
    // The visit middleware wraps the whole router so that it runs before routing: it
    // takes a cookie-less visitor's cart token off the path.
    let inner = service_router(app, readiness);
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(state, visit::visit))
            .service(inner),
    )
}
