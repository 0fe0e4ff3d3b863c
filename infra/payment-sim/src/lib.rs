//! payment-sim: a stand-in for a third-party card processor, so the platform's payment
//! path runs against something that behaves like one and shares nothing with it: its own
//! origin (`https://pay.localhost:8446` in dev), its own TLS certificate from its own CA,
//! its own Ed25519 signing key, and its own state (in memory: a restart forgets
//! merchants, and the platform publishes its key sets again when told a key is unknown).
//!
//! - The platform publishes each shop's public keys and webhook address with calls signed
//!   by its partner key (`PUT /v1/merchants/{merchant}/keys`).
//! - A shop creates, reads and refunds payments with requests signed by one of its keys
//!   (RFC 9421 through `libs/msgsign`); unsigned, badly signed, stale, future-dated,
//!   replayed and revoked-key requests are refused, each with its own code. A revoked key
//!   is refused from the moment its key set says so.
//! - The buyer types the card on the hosted page (`/pay/{id}`), a plain HTML form; test
//!   cards decide the outcome ([`cards`]). The buyer is sent back with a redirect.
//! - Every answer of the API and every webhook is signed with the processor's key;
//!   webhooks are retried until the platform answers 2xx.
//!
//! What this simulator must never do: keep or log a card number or CVC (only the brand,
//! last four digits, expiry and a token survive the form), or accept a request before its
//! signature verified.

mod api;
pub mod cards;
mod page;
mod state;
mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;

use platform_msgsign::{Keypair, PublicKey};
use platform_web::{BoundServer, ConfigError, Env, ServerConfig, StartError};

pub use state::Sim;

/// The environment prefix of the simulator's variables.
pub const ENV_PREFIX: &str = "APP_PAYSIM";

/// Everything the simulator needs to start.
pub struct Config {
    /// Its HTTPS listener and certificate (no client certificates: it is public).
    pub server: ServerConfig,
    /// The origin merchants sign requests for (`https://pay.localhost:8446`); by default
    /// `https://localhost:<bound port>`.
    pub public_url: Option<String>,
    /// The processor's own signing key.
    pub signing_key: Keypair,
    /// The platform's partner key, which alone may publish merchants' key sets.
    pub partner_key: PublicKey,
    /// The CA of the platform's webhook listener (a real processor uses the web PKI).
    pub webhook_ca: Option<PathBuf>,
    /// How many times each event is delivered, at once (1; more to test duplicates).
    pub webhook_copies: usize,
}

impl Config {
    /// Reads `APP_PAYSIM_*`: the listener (`HTTPS_ADDR`, `TLS_CERT`, `TLS_KEY`),
    /// `PUBLIC_URL`, `PARTNER_KEY` (base64url Ed25519 public key), `WEBHOOK_CA` and
    /// `WEBHOOK_COPIES`. The processor's own key is made fresh at each start; the platform
    /// reads it from `GET /v1/keys` over TLS.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        let partner = env.required("PARTNER_KEY")?;
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            public_url: env.optional("PUBLIC_URL"),
            signing_key: Keypair::generate(format!("paysim-{}", state::random_hex(4))),
            partner_key: PublicKey::from_base64(&partner).map_err(|_| ConfigError::Invalid {
                var: env.name("PARTNER_KEY"),
                reason: "not a base64url Ed25519 public key".to_owned(),
            })?,
            webhook_ca: env.optional_file("WEBHOOK_CA")?,
            webhook_copies: env.parse_or("WEBHOOK_COPIES", 1)?,
        })
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Listener or TLS.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The webhook client.
    #[error("webhook client: {0}")]
    Client(String),
}

/// The simulator, bound and ready to serve.
pub struct Application {
    server: BoundServer,
    sim: Arc<Sim>,
}

impl Application {
    /// Binds the listener and prepares the state.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let server = BoundServer::bind(&config.server)?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("https://localhost:{}", server.https_port()));
        let http = webhooks::client(config.webhook_ca.as_deref())?;
        let sim = Arc::new(Sim::new(
            public_url.trim_end_matches('/').to_owned(),
            config.signing_key,
            config.partner_key,
            http,
            config.webhook_copies.max(1),
        ));
        Ok(Application { server, sim })
    }

    /// The bound HTTPS port.
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// The state, for tests that look inside the processor.
    pub fn sim(&self) -> Arc<Sim> {
        self.sim.clone()
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(
            https_port = self.https_port(),
            "payment simulator listening"
        );
        let router = api::router(self.sim.clone()).merge(page::router(self.sim));
        self.server.serve(router, shutdown).await
    }
}
