//! End-to-end test kit: starts the services exactly as `main` and the dev stack do,
//! through each one's `Application::build`, on port 0 with a throwaway dev CA, against a
//! [`TestDb`] whose roles are the services' own.
//!
//! This crate is for tests only; it is the one place allowed to depend on several
//! service crates at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use platform_testkit::TestDb;
use platform_vault::LocalKek;
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;

/// A listener on 127.0.0.1:0 with the given certificate; with `client_ca`, client
/// certificates of that CA are required.
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<PathBuf>) -> ServerConfig {
    ServerConfig {
        https_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        http_redirect: None,
        public_https_port: None,
        tls_cert: cert.to_owned(),
        tls_key: key.to_owned(),
        require_client_cert: client_ca.is_some(),
        client_ca,
    }
}

/// Where the cart runs and what a caller needs to reach it over mutual TLS.
pub struct CartEndpoint {
    /// `https://localhost:<port>`.
    pub url: String,
    /// The CA of the cart's certificate.
    pub ca: PathBuf,
    /// The storefront's client certificate and key.
    pub identity: (PathBuf, PathBuf),
}

/// The platform's key-encryption key, one per test process as in production one per
/// platform: services that open each other's sealed data (a shop's keys made by the
/// console, used by orders) must unwrap with the same KEK.
pub fn platform_kek() -> Arc<dyn platform_vault::KeyEncryptionKey> {
    static KEK: std::sync::LazyLock<Arc<LocalKek>> =
        std::sync::LazyLock::new(|| Arc::new(LocalKek::generate(1)));
    KEK.clone()
}

/// Test kit failures (setup only; tests unwrap them).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Starts the cart service (real Redis at `redis_url`, the `cart` role, client
/// certificates of `ca` required) and writes a client certificate for the storefront.
pub fn spawn_cart(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    redis_url: &str,
) -> Result<CartEndpoint, Error> {
    let cart_dir = dir.join("cart");
    std::fs::create_dir_all(&cart_dir)?;
    let (cert, key) = ca.write_server_cert(&cart_dir, &[])?;
    let identity = ca.write_client_cert(dir, "storefront")?;
    let app = cart::Application::build(cart::Config {
        server: server_config(&cert, &key, Some(dir.join("ca.pem"))),
        database: db.options_for("cart"),
        redis_url: redis_url.into(),
        visit_ttl: 7200,
        kek: platform_kek(),
        callers: Arc::from(vec!["storefront".to_owned()]),
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(CartEndpoint {
        url,
        ca: dir.join("ca.pem"),
        identity,
    })
}

/// Starts the orders service (the `orders` role, client certificates of `ca` required,
/// the storefront and tenant-admin as callers). Returns its URL.
pub fn spawn_orders(db: &TestDb, ca: &DevCa, dir: &Path) -> Result<String, Error> {
    let orders_dir = dir.join("orders");
    std::fs::create_dir_all(&orders_dir)?;
    let (cert, key) = ca.write_server_cert(&orders_dir, &[])?;
    let app = orders::Application::build(orders::Config {
        server: server_config(&cert, &key, Some(dir.join("ca.pem"))),
        database: db.options_for("orders"),
        kek: platform_kek(),
        callers: Arc::from(vec!["storefront".to_owned(), "tenant-admin".to_owned()]),
        hold_sweep_every: std::time::Duration::from_secs(30),
        mail: None,
    })?;
    let url = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(url)
}

/// Starts the storefront (the `storefront` role) with the certificate in `dir`, calling
/// the cart at `cart`. Returns its port and its state (caches, counters).
pub fn spawn_storefront(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    cart: &CartEndpoint,
    orders_url: &str,
) -> Result<(u16, storefront::AppState), Error> {
    let (cert, key) = ca.write_server_cert(dir, &[])?;
    let app = storefront::Application::build(storefront::Config {
        server: server_config(&cert, &key, None),
        database: db.options_for("storefront"),
        cart_url: cart.url.clone(),
        orders_url: orders_url.to_owned(),
        cart_ca: cart.ca.clone(),
        cart_identity: cart.identity.clone(),
        posts_per_network_per_minute: 100_000,
    })?;
    let (port, state) = (app.https_port(), app.state());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok((port, state))
}

/// Starts tenant-admin (the `tenant_admin` role) linking shops on `storefront_port`.
/// Returns its base URL.
pub fn spawn_tenant_admin(
    db: &TestDb,
    ca: &DevCa,
    dir: &Path,
    storefront_port: u16,
    orders_url: Option<&str>,
) -> Result<String, Error> {
    let orders = match orders_url {
        None => None,
        Some(url) => Some(tenant_admin::OrdersLink {
            url: url.to_owned(),
            ca: dir.join("ca.pem"),
            identity: ca.write_client_cert(dir, "tenant-admin")?,
        }),
    };
    let (cert, key) = ca.write_server_cert(dir, &[])?;
    let app = tenant_admin::Application::build(tenant_admin::Config {
        server: server_config(&cert, &key, None),
        database: db.options_for("tenant_admin"),
        shop_domain: "shop.localhost".to_owned(),
        storefront_port,
        kek: platform_kek(),
        hash_slots: 2,
        hash_queue_wait: std::time::Duration::from_secs(10),
        login_policy: platform_auth::LoginPolicy::default(),
        failed_logins_per_network: 30,
        signups_per_network_per_hour: 100,
        orders,
        clock: tenant_admin::Clock::system(),
    })?;
    let base = format!("https://localhost:{}", app.https_port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(base)
}
