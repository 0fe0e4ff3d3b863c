//! cart: config → telemetry → build → run.

use std::process::ExitCode;
use std::sync::Arc;

use cart::{AppState, CartStore, Config, connect, options, router};
use platform_vault::Vault;
use platform_web::{BoundServer, shutdown_signal};
use secrecy::ExposeSecret;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("cart") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("cart: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "cart failed");
            eprintln!("cart: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let state = AppState {
        store: CartStore::new(config.redis_url.expose_secret())?,
        db: connect(options(&config.database_url)?),
        vault: Vault::new(Arc::new(config.load_kek()?)),
        visit_ttl: config.visit_ttl,
    };
    let server = BoundServer::bind(&config.server)?;
    tracing::info!(https_port = server.https_port(), "cart listening");
    server.serve(router(state), shutdown_signal()).await?;
    Ok(())
}
