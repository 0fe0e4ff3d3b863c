//! storefront: config → telemetry → build → run.

use std::process::ExitCode;

use platform_web::{BoundServer, shutdown_signal};
use storefront::{Config, options, router, state};

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("storefront") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("storefront: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "storefront failed");
            eprintln!("storefront: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let state = state(options(&config.database_url)?, config.cart_client()?);
    let views = state.views.clone();
    let db = state.db.clone();
    let server = BoundServer::bind(&config.server)?;
    tracing::info!(https_port = server.https_port(), "storefront listening");
    server.serve(router(state), shutdown_signal()).await?;
    // Counts gathered since the last flush are not lost on a clean stop.
    views.flush(&db).await;
    Ok(())
}
