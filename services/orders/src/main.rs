//! orders: config → telemetry → build → run.

use std::process::ExitCode;

use orders::{Application, Config};
use platform_web::shutdown_signal;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("orders") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("orders", &e),
    };
    let run = async {
        let app = Application::build(Config::from_env()?)?;
        app.run_until_stopped(shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => platform_web::exit_with("orders", e.as_ref()),
    }
}
