//! tenant-admin: config → telemetry → build → run.

use std::process::ExitCode;
use std::sync::Arc;

use platform_auth::{Hasher, LoginPolicy};
use platform_vault::Vault;
use platform_web::{BoundServer, shutdown_signal};
use tenant_admin::{AppState, Clock, Config, IpLimiter, connect, router};

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("tenant-admin") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("tenant-admin: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "tenant-admin failed");
            eprintln!("tenant-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let state = AppState {
        db: connect(&config.database_url)?,
        vault: Vault::new(Arc::new(config.load_kek()?)),
        hasher: Hasher::for_this_machine()?,
        policy: LoginPolicy::default(),
        clock: Clock::system(),
        ip_limiter: Arc::new(IpLimiter::default()),
        shop_domain: Arc::from(config.shop_domain.as_str()),
        storefront_port: config.storefront_port,
    };
    let server = BoundServer::bind(&config.server)?;
    tracing::info!(https_port = server.https_port(), "tenant-admin listening");
    server.serve(router(state), shutdown_signal()).await?;
    Ok(())
}
