//! tenant-admin: the merchant console (server-rendered HTML) and its JSON API under
//! `/api/v1`: shop sign-up, staff login with sessions and CSRF protection, the catalog
//! (products, variants, collections, images, CSV import and export), store settings with
//! the checkout field configuration (O2), and versioned privacy policies (O20).
//!
//! Every tenant row is reached through `TenantDb` as the `tenant_admin` role, scoped to
//! the tenant of the staff member's session; another tenant's ids answer 404.
//!
//! Inside: [`config`], `app/` (use cases, no HTTP or SQL), `db/` (all SQL), `http/api/`
//! and `http/pages/` (thin adapters, a `router()` per resource), `error` (the one status
//! table).
//!
//! What this service must never do: trust a tenant id from anywhere but the session,
//! store a password or a session token in clear, or put staff emails in logs.

mod app;
pub mod config;
mod db;
mod error;
mod http;

use std::sync::Arc;

use platform_auth::{Hasher, LockoutBook, NetworkLimiter};
use platform_tenancy::TenantDb;
use platform_vault::Vault;
use platform_web::{BoundServer, StartError};

pub use config::{Config, MailLink, OrdersLink};
pub use error::ApiError;
pub use platform_auth::Clock;

/// The pure parsers of outside input, public for the fuzz targets in `fuzz/` (they touch
/// no database and no state).
pub mod parsers {
    pub use crate::app::domain::parse_host_name;

    /// Parses and validates a catalog CSV upload for a shop pricing in `currency`: true
    /// when every row is accepted.
    pub fn catalog_csv(bytes: &[u8], currency: platform_domain::Currency) -> bool {
        crate::app::catalog_csv::accepts(bytes, currency)
    }
}

/// Why tenant-admin could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listeners or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The password hasher.
    #[error("password hasher")]
    Hasher(#[from] platform_auth::AuthError),
    /// The client of the orders service.
    #[error("orders client")]
    Orders(#[from] platform_orders_api::ClientSetupError),
    /// The orders client's TLS material.
    #[error("orders client TLS")]
    OrdersTls(#[source] StartError),
    /// The SMTP relay URL or sender address is unusable.
    #[error("staff mail: {0}")]
    Mail(String),
}

/// tenant-admin, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    router: axum::Router,
    state: app::AppState,
    mail: Option<(platform_mail::Mailer, std::time::Duration)>,
}

impl Application {
    /// Connects (lazily) to Postgres, prepares hashing and limits, and binds.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let server = BoundServer::bind(&config.server)?;
        let console_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("https://localhost:{}", server.https_port()));
        let mail = match &config.mail {
            None => None,
            Some(m) => Some((
                platform_mail::Mailer::new(&m.smtp_url, &m.from).map_err(BuildError::Mail)?,
                m.every,
            )),
        };
        let state = app::AppState {
            console_url: Arc::from(console_url.trim_end_matches('/')),
            db: TenantDb::connect_lazy(config.database, 16),
            vault: Vault::new(config.kek),
            hasher: Hasher::new(config.hash_slots, config.hash_queue_wait)?,
            policy: config.login_policy,
            clock: config.clock,
            limiter: Arc::new(NetworkLimiter::new(
                config.failed_logins_per_network,
                chrono::Duration::minutes(10),
            )),
            lockouts: Arc::new(LockoutBook::default()),
            signups: platform_web::NetworkRate::new(
                config.signups_per_network_per_hour,
                std::time::Duration::from_secs(3600),
            ),
            shop_domain: Arc::from(config.shop_domain.as_str()),
            storefront_port: config.storefront_port,
            housekeeping: Arc::default(),
            images: config.images.as_ref().map(platform_images::ImageStore::new),
            fetcher: app::images::Fetcher::new(config.fetch_private_images)?,
            orders: match &config.orders {
                None => None,
                Some(link) => {
                    let tls = platform_web::tls::client_config(
                        &link.ca,
                        Some((&link.identity.0, &link.identity.1)),
                    )
                    .map_err(BuildError::OrdersTls)?;
                    Some(platform_orders_api::OrdersClient::new(&link.url, tls)?)
                }
            },
        };
        Ok(Application {
            server,
            router: http::router(state.clone()),
            state,
            mail,
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
        tracing::info!(https_port = self.https_port(), "tenant-admin listening");
        let mail = self
            .mail
            .map(|(mailer, every)| tokio::spawn(send_forever(self.state.clone(), mailer, every)));
        let result = self.server.serve(self.router, shutdown).await;
        if let Some(task) = mail {
            task.abort();
        }
        result
    }
}

/// Staff mail: queues the monthly access review where due, then sends the outbox.
async fn send_forever(
    state: app::AppState,
    mailer: platform_mail::Mailer,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = app::review::queue_monthly(&state).await {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "access review not queued"
            );
        }
        match app::staff_mail::send_due(&state, &mailer).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "staff mail sent"),
            Err(e) => tracing::warn!(
                error = &e as &dyn std::error::Error,
                "staff outbox round failed"
            ),
        }
    }
}
