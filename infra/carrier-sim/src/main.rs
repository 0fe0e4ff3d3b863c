//! carrier-sim: config → telemetry → build → run.

use std::process::ExitCode;

use carrier_sim::{Application, Config};
use platform_web::shutdown_signal;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("carrier-sim") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("carrier-sim", &e),
    };
    let run = async {
        let app = Application::build(Config::from_env()?)?;
        app.run_until_stopped(shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => platform_web::exit_with("carrier-sim", e.as_ref()),
    }
}
