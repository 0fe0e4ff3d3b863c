//! tenant-admin: config → telemetry → build → run.

use std::process::ExitCode;

use platform_web::shutdown_signal;
use tenant_admin::{Application, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("tenant-admin") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("tenant-admin", &e),
    };
    let run = async {
        let app = Application::build(Config::from_env()?)?;
        app.run_until_stopped(shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => platform_web::exit_with("tenant-admin", e.as_ref()),
    }
}
