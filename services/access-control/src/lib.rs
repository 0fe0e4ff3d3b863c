//! access-control: the processor's side of the platform. Its staff (support, billing
//! operations, SRE, security officers) log in with a client certificate of the platform
//! staff CA (mutual TLS on this listener), a password and a TOTP code; they reach a shop's
//! personal data only through a grant the shop's owners approved (O8, O21), for the
//! classes it names and until it ends, and every read is an event in the shop's audit log
//! (O22) naming the operator's pseudonym, role, employer, grant and approver.
//!
//! The database enforces grants too: as the `access_control` role, order rows are
//! visible only under an active grant (restrictive row-level security) and personal
//! columns come only through `processor.orders_seen`, masked outside the granted classes.
//!
//! Inside: [`config`], [`cli`] (bootstrap), `app/` (use cases), `db/` (all SQL),
//! `http/api/` and `http/pages/`, `error` (the one status table).
//!
//! What this service must never do: show a class of personal data without an active grant
//! naming it, let anyone approve their own request, or log a name, an email or an address.

mod app;
pub mod cli;
pub mod config;
mod db;
mod error;
mod http;

use platform_web::{BoundServer, StartError};

pub use config::Config;
pub use error::ApiError;
pub use platform_auth::Clock;

/// Why access-control could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listeners or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The password hasher.
    #[error("password hasher")]
    Hasher(#[from] platform_auth::AuthError),
}

/// access-control, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    router: axum::Router,
    state: app::AppState,
    sweep_every: std::time::Duration,
}

impl Application {
    /// Connects (lazily) to Postgres and binds the mutual-TLS listener.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let server = BoundServer::bind(&config.server)?;
        let state = app::AppState::new(&config)?;
        Ok(Application {
            server,
            router: http::router(state.clone()),
            state,
            sweep_every: config.sweep_every,
        })
    }

    /// The bound HTTPS port (useful with port 0).
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// A handle that closes grants that ran out on demand (tests, and the loop below).
    pub fn sweeper(&self) -> Sweeper {
        Sweeper(self.state.clone())
    }

    /// Serves until `shutdown` resolves, then drains. Grants that ran out are closed on
    /// the way (every `sweep_every`).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(https_port = self.https_port(), "access-control listening");
        let sweeper = tokio::spawn(sweep_forever(self.state.clone(), self.sweep_every));
        let result = self.server.serve(self.router, shutdown).await;
        sweeper.abort();
        result
    }
}

/// Closes grants that ran out: pending for 24 hours or approved past their end.
#[derive(Clone)]
pub struct Sweeper(app::AppState);

impl Sweeper {
    /// One round over every shop; how many grants it closed.
    pub async fn run(&self) -> Result<usize, ApiError> {
        let closed = app::grants::sweep(&self.0).await?;
        let lapsed = app::review::expire(&self.0).await?;
        if lapsed > 0 {
            tracing::info!(roles = lapsed, "platform roles removed by the review");
        }
        Ok(closed)
    }
}

async fn sweep_forever(state: app::AppState, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match Sweeper(state.clone()).run().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "grants closed"),
            Err(e) => tracing::warn!(error = &e as &dyn std::error::Error, "grant sweep failed"),
        }
    }
}
