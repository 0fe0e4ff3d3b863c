//! storefront: config → telemetry → build → run.

use std::process::ExitCode;

use platform_web::shutdown_signal;
use storefront::{Application, Config};

/// mimalloc: per-thread free lists instead of glibc's arenas, which spent a fifth of a
/// warm page's CPU in `_int_malloc` and `malloc_consolidate` (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("storefront") {
        Ok(guard) => guard,
        Err(e) => return platform_web::exit_with("storefront", &e),
    };
    let run = async {
        let app = Application::build(Config::from_env()?)?;
        app.run_until_stopped(shutdown_signal()).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => platform_web::exit_with("storefront", e.as_ref()),
    }
}
