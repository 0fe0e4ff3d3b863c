//! `cargo xtask fuzz [--seconds N]`: the cargo-fuzz targets of `fuzz/` (catalog CSV,
//! money, host names, cart tokens, session cookies), each for a bounded time, with
//! cargo-fuzz (crates.io, pinned) installed when missing. The fuzz crate is its own
//! workspace with its own lock file and target directory, so instrumented builds stay
//! out of the platform's. A crash fails the run and leaves its input under
//! `fuzz/artifacts/<target>/`; turn it into a regression test beside the parser.

use std::process::Command;

use crate::{root, run};

/// The cargo-fuzz release we run.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The targets, each a parser of outside input.
pub const TARGETS: &[&str] = &[
    "catalog_csv",
    "money",
    "host_names",
    "cart_tokens",
    "session_cookies",
];

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION))
        .unwrap_or(false);
    if !installed {
        run(
            "cargo",
            &[
                "install",
                "cargo-fuzz",
                "--version",
                CARGO_FUZZ_VERSION,
                "--locked",
            ],
        )?;
    }
    Ok(())
}

/// Runs every target for `seconds`.
pub fn fuzz(seconds: u64) -> anyhow::Result<()> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root().join("fuzz");
    let max_time = format!("-max_total_time={seconds}");
    for target in TARGETS {
        println!("xtask: fuzzing {target} for {seconds} s");
        // The machine's one toolchain is stable; cargo-fuzz needs the nightly-only
        // sanitizer flags, which RUSTC_BOOTSTRAP unlocks for this build alone.
        let status = Command::new("cargo")
            .current_dir(&fuzz_dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .args([
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                target,
                "--",
                &max_time,
            ])
            .status()?;
        anyhow::ensure!(
            status.success(),
            "fuzz target {target} failed ({status}); its input is under fuzz/artifacts/{target}/"
        );
    }
    println!(
        "xtask: {} fuzz targets ran {seconds} s each without a crash",
        TARGETS.len()
    );
    Ok(())
}
