//! backup: config → telemetry → one command (see `backup --help`).

use std::process::ExitCode;

use backup::cli::Cli;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _telemetry = match platform_telemetry::init("backup") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("backup", &e),
    };
    match cli.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("backup: failed with {}", e.code());
            platform_web::exit_with("backup", &e)
        }
    }
}
