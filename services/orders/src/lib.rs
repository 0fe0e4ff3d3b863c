//! orders: checkout and orders, for the storefront (quotes, placing an order, the buyer's
//! status page) and the merchant console (order list and detail). An internal service:
//! it listens on HTTPS and refuses any caller without a client certificate from the
//! platform's CA (mutual TLS, O7) and, on its API, any certificate that does not name
//! one of the services allowed to call it (`APP_ORDERS_CALLERS`).
//!
//! Placing an order is one Postgres transaction as the `orders` role under the shop's
//! row-level security: lines priced from the catalog at that moment and locked, stock
//! taken with a conditional update, the shop's own next order number, the buyer's
//! contact and shipping details sealed under a per-buyer subject key (`libs/vault`) with a
//! blind index on the email, the buyer's full IP on the order row only (O5), its first
//! event, an outbox row, and the idempotency key's answer. A background sweep cancels
//! unpaid orders whose hold ran out and returns their stock.
//!
//! Inside: [`config`], `app/` (use cases and domain rules), `db/` (all SQL), `http/`
//! (thin handlers) and `error` (the one status table). What crosses to callers lives in
//! `libs/orders-api`.
//!
//! What this service must never do: trust a price or total from a caller, store a field
//! the shop does not ask for, put personal data in a log, or hold a card number.

mod app;
pub mod carrier;
pub mod config;
mod db;
mod error;
mod http;
pub mod processor;

use std::time::Duration;

use platform_tenancy::TenantDb;
use platform_vault::Vault;
use platform_web::{BoundServer, StartError};

pub use config::{CarrierConfig, Config, MailConfig, PrivacyConfig, ProcessorConfig};
pub use error::OrdersError;

/// The orders service, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    router: axum::Router,
    webhooks: Option<(BoundServer, axum::Router)>,
    orders: app::Orders,
    sweep_every: Duration,
    mail: Option<(platform_mail::Mailer, Duration)>,
}

impl Application {
    /// Connects (lazily) to Postgres, prepares the mail relay and binds the listeners of
    /// `config`.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let mail = match &config.mail {
            None => None,
            Some(m) => Some((
                platform_mail::Mailer::new(&m.smtp_url, &m.from).map_err(BuildError::Mail)?,
                m.every,
            )),
        };
        let mut orders = app::Orders::new(
            TenantDb::connect_lazy(config.database, 16),
            Vault::new(config.kek),
            config.privacy,
        );
        if let Some(c) = config.carrier {
            let carrier = carrier::HttpCarrier::new(&c.url, &c.ca, c.token, c.requires_phone)
                .map_err(|e| BuildError::Carrier(e.to_string()))?;
            orders = orders.with_carrier(std::sync::Arc::new(carrier));
        }
        let server = BoundServer::bind(&config.server)?;
        let mut webhooks = None;
        if let Some(p) = config.processor {
            let listener = BoundServer::bind(&p.webhook)?;
            let public_url = p.webhook_public_url.clone().unwrap_or_else(|| {
                format!(
                    "https://localhost:{}{}",
                    listener.https_port(),
                    http::webhooks::PATH
                )
            });
            let processor = processor::SignedProcessor::new(&p.url, &p.ca, p.partner_key)
                .map_err(|e| BuildError::Processor(e.to_string()))?;
            orders = orders.with_payments(app::payments::Payments {
                processor: std::sync::Arc::new(processor),
                webhook_url: public_url.clone(),
                key_overlap_secs: p.key_overlap.as_secs(),
            });
            let signed_for = public_url
                .parse()
                .map_err(|_| BuildError::Processor(format!("webhook address {public_url}")))?;
            webhooks = Some((listener, http::webhooks::router(orders.clone(), signed_for)));
        }
        Ok(Application {
            server,
            webhooks,
            router: http::router(orders.clone(), config.callers),
            orders,
            sweep_every: config.hold_sweep_every,
            mail,
        })
    }

    /// The bound HTTPS port (useful with port 0).
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// The bound port of the public webhook listener, when payments are on.
    pub fn webhook_port(&self) -> Option<u16> {
        self.webhooks.as_ref().map(|(s, _)| s.https_port())
    }

    /// Serves until `shutdown` resolves, then drains. The hold sweep runs meanwhile.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(https_port = self.https_port(), "orders listening");
        let sweeper = tokio::spawn(sweep_forever(self.orders.clone(), self.sweep_every));
        let sender = self
            .mail
            .map(|(mailer, every)| tokio::spawn(send_forever(self.orders, mailer, every)));
        let (stop_hooks, hooks_stopped) = tokio::sync::oneshot::channel::<()>();
        let hooks = self.webhooks.map(|(server, router)| {
            tokio::spawn(server.serve(router, async {
                let _ = hooks_stopped.await;
            }))
        });
        let served = self.server.serve(self.router, shutdown).await;
        let _ = stop_hooks.send(());
        if let Some(hooks) = hooks
            && let Ok(Err(e)) = hooks.await
        {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "webhook listener failed"
            );
        }
        sweeper.abort();
        if let Some(sender) = sender {
            sender.abort();
        }
        served
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listeners or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The SMTP relay URL or sender address is unusable.
    #[error("mail: {0}")]
    Mail(String),
    /// The carrier client cannot be set up (its CA).
    #[error("carrier: {0}")]
    Carrier(String),
    /// The processor client cannot be set up (its CA).
    #[error("payment processor: {0}")]
    Processor(String),
}

async fn send_forever(orders: app::Orders, mailer: platform_mail::Mailer, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match orders.send_mail(&mailer).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "outbox mail sent"),
            Err(e) => tracing::warn!(error = &e as &dyn std::error::Error, "outbox round failed"),
        }
    }
}

async fn sweep_forever(orders: app::Orders, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match orders.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(cancelled = n, "unpaid orders past their hold cancelled"),
            Err(e) => tracing::warn!(error = &e as &dyn std::error::Error, "hold sweep failed"),
        }
    }
}
