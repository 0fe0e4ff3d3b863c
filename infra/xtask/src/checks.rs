//! Checks of the project's shape that `cargo xtask test` runs besides the tests: services
//! depend only on libs, and the dev stack leaves nothing behind when its supervisor gets
//! SIGTERM.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use serde_json::Value;

use crate::{dev_dir, root};

/// The dependency edges from a crate under `services/` to another crate under
/// `services/` or `infra/` (the payment simulator stands for a third party: a service
/// reaches it only over its API), in `[dependencies]` or `[dev-dependencies]`, as
/// `from → to` lines, from the output of `cargo metadata --format-version 1 --no-deps`.
pub fn service_edges(metadata: &Value, root: &Path) -> Vec<String> {
    let services = root.join("services");
    let infra = root.join("infra");
    let under_services = |path: &str| Path::new(path).starts_with(&services);
    let forbidden = |path: &str| under_services(path) || Path::new(path).starts_with(&infra);
    let mut edges = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        if !under_services(manifest) {
            continue;
        }
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            if let Some(path) = dep["path"].as_str()
                && forbidden(path)
            {
                let kind = dep["kind"].as_str().unwrap_or("normal");
                edges.push(format!(
                    "{} → {} ({kind})",
                    package["name"].as_str().unwrap_or("?"),
                    dep["name"].as_str().unwrap_or("?"),
                ));
            }
        }
    }
    edges
}

/// Fails, naming each offending edge, when a service depends on another service.
pub fn crate_graph() -> anyhow::Result<()> {
    let output = std::process::Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo metadata")?;
    anyhow::ensure!(output.status.success(), "cargo metadata failed");
    let metadata: Value = serde_json::from_slice(&output.stdout)?;
    let edges = service_edges(&metadata, &root());
    anyhow::ensure!(
        edges.is_empty(),
        "services may depend on libs and contract crates only; these edges cross:\n  {}",
        edges.join("\n  ")
    );
    println!("xtask: crate graph: services depend on libs and contracts only");
    Ok(())
}

fn alive(pid: u32) -> bool {
    // A zombie has exited; only a process in any other state still runs.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            Some(state != 'Z' && state != 'X')
        })
        .unwrap_or(false)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Starts `xtask up` as a supervisor would, waits for the stack, runs the hostile-input
/// and TLS checks against it, sends SIGTERM to the xtask process alone and fails if any
/// service it started is still running afterwards (or if the checks found anything).
pub async fn stack_stops_on_sigterm() -> anyhow::Result<()> {
    let stack: PathBuf = dev_dir().join("stack.json");
    let before = modified(&stack);
    // `cargo build --workspace` may have just replaced this very binary (same code, other
    // features): run the file now at its path rather than the deleted one.
    let exe = std::env::current_exe().context("cannot find the xtask binary")?;
    let exe = if exe.is_file() {
        exe
    } else {
        PathBuf::from(exe.to_string_lossy().trim_end_matches(" (deleted)"))
    };
    let mut xtask = tokio::process::Command::new(exe)
        .arg("up")
        .env(crate::stack::PREBUILT_VAR, "1")
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start xtask up")?;
    let pid = xtask.id().context("xtask up exited at once")?;
    println!("xtask: stack check: started `xtask up` (pid {pid}), waiting for the stack");
    let deadline = Instant::now() + Duration::from_secs(15 * 60);
    let pids: Vec<(String, u32)> = loop {
        if let Some(status) = xtask.try_wait()? {
            anyhow::bail!("xtask up exited before the stack was up ({status})");
        }
        if modified(&stack) != before
            && let Ok(text) = std::fs::read_to_string(&stack)
            && let Ok(json) = serde_json::from_str::<Value>(&text)
            && json["supervisor_pid"].as_u64() == Some(u64::from(pid))
        {
            break json["pids"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(name, p)| Some((name.clone(), u32::try_from(p.as_u64()?).ok()?)))
                .collect();
        }
        anyhow::ensure!(Instant::now() < deadline, "the stack did not come up");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    anyhow::ensure!(!pids.is_empty(), "stack.json names no service");
    // While the stack is up: hostile input and the TLS scan; it is stopped either way.
    let hostile = crate::hostile::check_stack().await;
    crate::run("kill", &["-TERM", &pid.to_string()])?;
    let status = tokio::time::timeout(Duration::from_secs(60), xtask.wait())
        .await
        .context("xtask up did not stop within 60 s of SIGTERM")??;
    let left: Vec<String> = pids
        .iter()
        .filter(|(_, p)| alive(*p))
        .map(|(name, p)| format!("{name} (pid {p})"))
        .collect();
    for (_, p) in &pids {
        if alive(*p) {
            let _ = crate::run("kill", &["-KILL", &p.to_string()]);
        }
    }
    anyhow::ensure!(
        left.is_empty(),
        "after SIGTERM to xtask these services were left running: {}",
        left.join(", ")
    );
    anyhow::ensure!(status.success(), "xtask up stopped with {status}");
    hostile?;
    println!(
        "xtask: stack check: SIGTERM to xtask stopped all {} services",
        pids.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_service_depending_on_another_service_is_named() {
        let root = Path::new("/w");
        let metadata = json!({ "packages": [
            { "name": "storefront", "manifest_path": "/w/services/storefront/Cargo.toml",
              "dependencies": [
                { "name": "platform-cart-api", "path": "/w/libs/cart-api", "kind": null },
                { "name": "cart", "path": "/w/services/cart", "kind": "dev" },
                { "name": "serde", "kind": null }
              ] },
            { "name": "orders", "manifest_path": "/w/services/orders/Cargo.toml",
              "dependencies": [
                { "name": "payment-sim", "path": "/w/infra/payment-sim", "kind": null },
                { "name": "platform-processor-api", "path": "/w/libs/processor-api", "kind": null }
              ] },
            { "name": "e2e", "manifest_path": "/w/tests/e2e/Cargo.toml",
              "dependencies": [ { "name": "cart", "path": "/w/services/cart", "kind": null } ] }
        ]});
        assert_eq!(
            service_edges(&metadata, root),
            vec![
                "storefront → cart (dev)".to_owned(),
                "orders → payment-sim (normal)".to_owned()
            ]
        );
    }
}
