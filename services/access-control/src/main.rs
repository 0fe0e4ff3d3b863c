//! access-control: config → telemetry → build → run; or `bootstrap`, which creates the
//! first security officer.

use std::process::ExitCode;

use access_control::cli::{Cli, Command};
use access_control::{Application, Config};
use clap::Parser;
use platform_web::shutdown_signal;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _telemetry = match platform_telemetry::init("access-control") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("access-control", &e),
    };
    let run = async {
        let config = Config::from_env()?;
        match cli.command {
            None | Some(Command::Serve) => {
                let app = Application::build(config)?;
                app.run_until_stopped(shutdown_signal()).await?;
            }
            Some(Command::Bootstrap(args)) => access_control::cli::bootstrap(config, args).await?,
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => platform_web::exit_with("access-control", e.as_ref()),
    }
}
