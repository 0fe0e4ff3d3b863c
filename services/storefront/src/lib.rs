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

mod app;
pub mod config;
mod db;
mod error;
mod http;
mod notifications;

use std::sync::Arc;

use platform_cart_api::{CartClient, ClientSetupError};
use platform_orders_api::OrdersClient;
use platform_tenancy::TenantDb;
use platform_web::{BoundServer, StartError};

pub use app::hosts::HostCache;
pub use app::view_counts::ViewCounter;
pub use config::Config;
pub use db::shops::Shop;
pub use error::ShopError;
pub use http::page_cache::PageCache;

/// Data-request forms one client network may send per hour.
pub const REQUESTS_PER_NETWORK_PER_HOUR: u32 = 10;

/// Shared state: a handle, cloned for every request by each extractor and layer that
/// takes it, so it is one reference count (the clients, the picture store and the page
/// policy inside it own strings and URLs; cloning them field by field cost about 4 % of
/// a warm page's CPU in allocations and copies, docs/benchmarks.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// Database as `storefront`.
    pub db: TenantDb,
    /// Host → shop.
    pub hosts: Arc<HostCache>,
    /// Aggregate product views.
    pub views: Arc<ViewCounter>,
    /// Rendered pages per shop.
    pub pages: Arc<PageCache>,
    /// Each shop's frame and page settings.
    pub settings: Arc<app::shop_settings::SettingsCache>,
    /// Each shop's search results.
    pub searches: Arc<app::search_cache::SearchCache>,
    /// The cart service.
    pub cart: CartClient,
    /// The orders service (checkout, the buyer's order page).
    pub orders: OrdersClient,
    /// Form posts per client network.
    pub posts: Arc<platform_web::NetworkRate>,
    /// Data-request forms per client network: each sends a mail to the address typed, so
    /// a much smaller budget than other forms (nobody floods inboxes through a shop).
    pub requests: Arc<platform_web::NetworkRate>,
    /// The page policy of checkout pages whose forms end on the payment processor's
    /// page; none when the shop takes no online payment.
    pub pay_csp: Option<axum::http::HeaderValue>,
    /// Product pictures (none: they answer 404).
    pub images: Option<platform_images::ImageStore>,
}

/// Why the storefront could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listeners or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The client of the cart service.
    #[error("cart client")]
    Cart(#[from] ClientSetupError),
    /// The cart client's TLS material.
    #[error("cart client TLS")]
    CartTls(#[source] StartError),
    /// The client of the orders service.
    #[error("orders client")]
    Orders(#[from] platform_orders_api::ClientSetupError),
}

/// The storefront, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    state: AppState,
}

impl Application {
    /// Builds the state: a lazy pool (the service starts while Postgres is down;
    /// `/readyz` tells), the host and page caches with their notification listener, the
    /// view counter with its periodic flush, and the cart client; then binds.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let tls = platform_web::tls::client_config(
            &config.cart_ca,
            Some((&config.cart_identity.0, &config.cart_identity.1)),
        )
        .map_err(BuildError::CartTls)?;
        let cart = CartClient::new(&config.cart_url, tls.clone())?;
        let orders = OrdersClient::new(&config.orders_url, tls)?;
        // Plan once per connection, as the cart does: every statement is scoped to one
        // shop by its key and the tenant policy, and Postgres otherwise re-planned the
        // search (about a millisecond) and each page's reads on every execution.
        let db = TenantDb::connect_lazy(
            config
                .database
                .clone()
                .options([("plan_cache_mode", "force_generic_plan")]),
            16,
        );
        let pages = Arc::new(PageCache::default());
        let hosts = Arc::new(HostCache::new(db.clone()));
        let settings = Arc::new(app::shop_settings::SettingsCache::new(db.clone()));
        let searches = Arc::new(app::search_cache::SearchCache::new(db.clone()));
        notifications::listen(
            hosts.clone(),
            config.database,
            notifications::ShopCaches {
                pages: pages.clone(),
                settings: settings.clone(),
                searches: searches.clone(),
            },
        );
        let views = Arc::new(ViewCounter::default());
        views
            .clone()
            .flush_every(db.clone(), std::time::Duration::from_secs(5));
        let server = BoundServer::bind(&config.server)?;
        Ok(Application {
            server,
            state: AppState(Arc::new(Shared {
                db,
                hosts,
                views,
                pages,
                settings,
                searches,
                cart,
                orders,
                posts: platform_web::NetworkRate::new(
                    config.posts_per_network_per_minute,
                    std::time::Duration::from_secs(60),
                ),
                requests: platform_web::NetworkRate::new(
                    REQUESTS_PER_NETWORK_PER_HOUR,
                    std::time::Duration::from_secs(3600),
                ),
                pay_csp: config
                    .payment_origin
                    .as_deref()
                    .and_then(platform_web::csp_with_form_target),
                images: config.images.as_ref().map(platform_images::ImageStore::new),
            })),
        })
    }

    /// The bound HTTPS port (useful with port 0).
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// The bound redirecting HTTP port, if any.
    pub fn http_port(&self) -> Option<u16> {
        self.server.http_port()
    }

    /// The running state (tests reach the caches and counters through it).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, drains, and flushes the view counts gathered
    /// since the last flush so a clean stop loses none.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(https_port = self.https_port(), "storefront listening");
        let (views, db) = (self.state.views.clone(), self.state.db.clone());
        self.server
            .serve(http::router(self.state), shutdown)
            .await?;
        views.flush(&db).await;
        Ok(())
    }
}
