//! Hostile input and a TLS scan against the running dev stack: part of `cargo xtask test`
//! (while its stack check has the stack up), and `cargo xtask hostile` against a stack
//! `cargo xtask up` runs.
//!
//! - schemathesis (PyPI, pinned, in its own virtualenv under `target/tools/`) generates
//!   valid and invalid requests from the storefront's and the console's OpenAPI
//!   documents: no answer may be a 5xx, break the documented schema, or carry a status
//!   or media type the document does not name. The console is driven as the owner of
//!   its own shop (`hostile-input`), with a session and the CSRF token.
//! - testssl.sh (Debian) scans every TLS listener: no protocol below TLS 1.2, no NULL,
//!   anonymous, export, low, 3DES/IDEA or "average" cipher, no finding above INFO, and
//!   HSTS on the public listeners.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::stack::{ADMIN_PORT, CART_PORT, STOREFRONT_PORT};
use crate::{dev_dir, root, run};

/// The schemathesis release we run (PyPI).
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Examples per API operation and phase.
const EXAMPLES: &str = "25";
/// The checks every answer must pass.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance";
/// The shop the console is fuzzed as (its data is the fuzzer's to break).
const SHOP: &str = "hostile-input";
const EMAIL: &str = "fuzz@hostile-input.example";
const PASSWORD: &str = "fuzz-password-2026";

/// schemathesis in its own virtualenv, installed once.
pub fn ensure_schemathesis() -> anyhow::Result<PathBuf> {
    let venv = root().join("target").join("tools").join("schemathesis");
    let bin = venv.join("bin").join("schemathesis");
    let installed = Command::new(&bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(SCHEMATHESIS_VERSION))
        .unwrap_or(false);
    if !installed {
        println!(
            "xtask: installing schemathesis {SCHEMATHESIS_VERSION} into {}",
            venv.display()
        );
        let venv_text = venv.to_string_lossy().into_owned();
        run("python3", &["-m", "venv", &venv_text])?;
        let pip = venv.join("bin").join("pip");
        run(
            &pip.to_string_lossy(),
            &[
                "install",
                "--quiet",
                &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
            ],
        )?;
    }
    Ok(bin)
}

/// testssl.sh from Debian's packages.
pub fn ensure_testssl() -> anyhow::Result<()> {
    if Path::new("/usr/bin/testssl").exists() {
        return Ok(());
    }
    println!("xtask: installing testssl.sh from Debian packages");
    crate::deps::apt_install(&["testssl.sh"])
}

/// Both checks against the stack described by `target/dev/stack.json`.
pub async fn check_stack() -> anyhow::Result<()> {
    let schemathesis = ensure_schemathesis()?;
    ensure_testssl()?;
    let stack: Value = serde_json::from_str(
        &std::fs::read_to_string(dev_dir().join("stack.json"))
            .context("no target/dev/stack.json: is `cargo xtask up` running?")?,
    )?;
    let ca = stack["tls"]["ca"]
        .as_str()
        .context("stack.json names no CA")?
        .to_owned();
    let shop = stack["shops"][0]["handle"]
        .as_str()
        .context("stack.json names no shop")?
        .to_owned();
    fuzz_storefront(&schemathesis, &ca, &shop)?;
    fuzz_console(&schemathesis, &ca).await?;
    fuzz_access(&schemathesis, &ca, &stack).await?;
    scan_tls(&ca)?;
    println!("xtask: hostile input and TLS scan: nothing found");
    Ok(())
}

/// Runs schemathesis; `secrets` are environment variables for the child alone, which the
/// configuration file names, so they never appear on a command line or in this log.
fn schemathesis_run(
    bin: &Path,
    ca: &str,
    url: &str,
    extra: &[&str],
    secrets: &[(&str, &str)],
) -> anyhow::Result<()> {
    let config = dev_dir().join("schemathesis.toml");
    let config_text = config.to_string_lossy().into_owned();
    let mut args = Vec::new();
    if !secrets.is_empty() {
        std::fs::write(
            &config,
            "# Written by `cargo xtask hostile`: the console session, from the environment.\n\
             headers = { Cookie = \"${HOSTILE_COOKIE}\", x-csrf-token = \"${HOSTILE_CSRF}\" }\n",
        )?;
        args.extend(["--config-file", config_text.as_str()]);
    }
    args.extend([
        "run",
        url,
        "--tls-verify",
        ca,
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--seed",
        "20261123",
        "--no-color",
    ]);
    args.extend_from_slice(extra);
    println!("xtask: $ schemathesis {}", args.join(" "));
    let status = Command::new(bin)
        .args(&args)
        .envs(secrets.iter().copied())
        .status()
        .context("cannot run schemathesis")?;
    anyhow::ensure!(
        status.success(),
        "schemathesis against {url} found problems ({status})"
    );
    Ok(())
}

/// The storefront's JSON API, as a visitor of a demo shop (the shop is chosen by `Host`).
fn fuzz_storefront(bin: &Path, ca: &str, shop: &str) -> anyhow::Result<()> {
    println!("xtask: schemathesis against the storefront API ({shop})");
    let host = format!("Host: {shop}.shop.localhost");
    schemathesis_run(
        bin,
        ca,
        &format!("https://localhost:{STOREFRONT_PORT}/api/v1/openapi.json"),
        &["--header", &host],
        &[],
    )
}

/// The console's API, as the owner of the `hostile-input` shop. Logging out is left
/// out: it would end the session the run uses.
async fn fuzz_console(bin: &Path, ca: &str) -> anyhow::Result<()> {
    println!("xtask: schemathesis against the console API (shop {SHOP})");
    let base = format!("https://localhost:{ADMIN_PORT}");
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = platform_testkit::https_client(&std::fs::read_to_string(ca)?)?
        .cookie_provider(jar.clone())
        .build()?;
    let signup = client
        .post(format!("{base}/api/v1/signup"))
        .json(&json!({ "handle": SHOP, "display_name": "Hostile Input", "currency": "EUR", "email": EMAIL, "password": PASSWORD }))
        .send()
        .await?;
    let status = signup.status();
    if !(status.is_success() || status == reqwest::StatusCode::CONFLICT) {
        bail!("sign-up of {SHOP} failed: {status}");
    }
    let csrf = crate::seed::console_login(&client, &base, SHOP, EMAIL, PASSWORD).await?;
    use reqwest::cookie::CookieStore;
    let cookie = jar
        .cookies(&base.parse()?)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .and_then(|all| {
            all.split("; ")
                .find(|c| c.starts_with("__Host-admin_session="))
                .map(str::to_owned)
        })
        .context("login set no session cookie")?;
    let csrf = csrf.as_str();
    let report = dev_dir().join("schemathesis-console");
    let _ = std::fs::remove_dir_all(&report);
    let report_text = report.to_string_lossy().into_owned();
    schemathesis_run(
        bin,
        ca,
        &format!("{base}/api/v1/openapi.json"),
        &[
            "--exclude-path",
            "/api/v1/logout",
            // These would end or replace the very second factor and session the run
            // logs in with; their input handling is covered by tenant-admin's tests.
            "--exclude-path",
            "/api/v1/account/mfa",
            "--exclude-path",
            "/api/v1/account/mfa/confirm",
            "--exclude-path",
            "/api/v1/account/mfa/recovery-codes",
            "--exclude-path",
            "/api/v1/account/sessions/{id}",
            "--output-sanitize",
            "true",
            "--report",
            "har",
            "--report-dir",
            &report_text,
        ],
        &[("HOSTILE_COOKIE", cookie.as_str()), ("HOSTILE_CSRF", csrf)],
    )?;
    // 401 is a documented answer: a run whose session never worked would pass. Require
    // that the session-only reads answered 200.
    let har = std::fs::read_dir(&report)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .context("schemathesis wrote no HAR report")?;
    let har: Value = serde_json::from_str(&std::fs::read_to_string(har)?)?;
    let signed_in = authenticated_reads(&har);
    anyhow::ensure!(
        signed_in > 0,
        "schemathesis never got past the console's login: no session-only read answered 200"
    );
    println!("xtask: the console run made {signed_in} signed-in reads");
    Ok(())
}

/// The platform staff API (access-control), over mutual TLS with the dev support agent's
/// certificate, logged in with his password and code. Logging out is left out.
async fn fuzz_access(bin: &Path, ca: &str, stack: &Value) -> anyhow::Result<()> {
    let staff = &stack["platform_staff"];
    let member = staff["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["roles"][0] == "support"))
        .context("stack.json names no platform support agent")?;
    let field = |k: &str| {
        member[k]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("stack.json: platform member without {k}"))
    };
    let (login, cert, key) = (field("login")?, field("certificate")?, field("key")?);
    println!("xtask: schemathesis against the platform staff API (as {login})");
    let base = format!("https://localhost:{}", crate::ops::ACCESS_PORT);
    let tls =
        platform_web::tls::client_config(Path::new(ca), Some((Path::new(&cert), Path::new(&key))))?;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .cookie_provider(jar.clone())
        .build()?;
    let secret = std::fs::read_to_string(field("totp_key")?)?;
    let app = platform_testkit::Authenticator::new(&secret).map_err(anyhow::Error::msg)?;
    let login_answer: Value = client
        .post(format!("{base}/api/v1/login"))
        .json(&json!({ "login": login, "password": field("password")?, "code": app.code().await }))
        .send()
        .await?
        .error_for_status()
        .context("the support agent's login")?
        .json()
        .await?;
    let csrf = login_answer["csrf_token"]
        .as_str()
        .context("no csrf token")?
        .to_owned();
    use reqwest::cookie::CookieStore;
    let cookie = jar
        .cookies(&base.parse()?)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .and_then(|all| {
            all.split("; ")
                .find(|c| c.starts_with("__Host-ops_session="))
                .map(str::to_owned)
        })
        .context("login set no session cookie")?;
    let report = dev_dir().join("schemathesis-access");
    let _ = std::fs::remove_dir_all(&report);
    let report_text = report.to_string_lossy().into_owned();
    schemathesis_run(
        bin,
        ca,
        &format!("{base}/api/v1/openapi.json"),
        &[
            "--request-cert",
            &cert,
            "--request-cert-key",
            &key,
            "--exclude-path",
            "/api/v1/logout",
            "--output-sanitize",
            "true",
            "--report",
            "har",
            "--report-dir",
            &report_text,
        ],
        &[
            ("HOSTILE_COOKIE", cookie.as_str()),
            ("HOSTILE_CSRF", csrf.as_str()),
        ],
    )?;
    let har = std::fs::read_dir(&report)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .context("schemathesis wrote no HAR report")?;
    let har: Value = serde_json::from_str(&std::fs::read_to_string(har)?)?;
    let signed_in = authenticated_reads(&har);
    anyhow::ensure!(
        signed_in > 0,
        "schemathesis never got past the platform staff login: no GET /api/v1/me answered 200"
    );
    println!("xtask: the platform staff run made {signed_in} signed-in reads");
    Ok(())
}

/// How many `GET /api/v1/me` or `GET /api/v1/products` in a HAR report answered 200:
/// both need a session.
pub fn authenticated_reads(har: &Value) -> usize {
    har["log"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| {
            let url = e["request"]["url"].as_str().unwrap_or("");
            let path = url.split('?').next().unwrap_or("");
            e["request"]["method"] == "GET"
                && (path.ends_with("/api/v1/me") || path.ends_with("/api/v1/products"))
                && e["response"]["status"] == 200
        })
        .count()
}

/// Protocols and cipher categories that must not be offered.
const NOT_OFFERED: &[&str] = &[
    "SSLv2",
    "SSLv3",
    "TLS1",
    "TLS1_1",
    "cipherlist_NULL",
    "cipherlist_aNULL",
    "cipherlist_EXPORT",
    "cipherlist_LOW",
    "cipherlist_3DES_IDEA",
    "cipherlist_AVERAGE",
];

/// testssl finding ids that describe the machine running the scan, not the listener.
const SCANNER_NOTES: &[&str] = &["engine_problem"];

/// What is wrong in one listener's testssl findings (empty when nothing is).
pub fn tls_problems(findings: &[Value], public: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let finding = |id: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id)
            .and_then(|f| f["finding"].as_str())
    };
    for id in NOT_OFFERED {
        match finding(id) {
            Some(text) if text.starts_with("not offered") => {}
            Some(text) => problems.push(format!("{id}: {text}")),
            None => problems.push(format!("{id}: not tested")),
        }
    }
    for f in findings {
        // Notes on the scanner's own machine, not on the server: `engine_problem` says the
        // local openssl has no engine support (OpenSSL 3 builds), which only limits GOST
        // cipher checks that no listener here offers.
        if SCANNER_NOTES.contains(&f["id"].as_str().unwrap_or("")) {
            continue;
        }
        let severity = f["severity"].as_str().unwrap_or("");
        // DEBUG is testssl's own note on what it skipped (the cart asks for a client
        // certificate, which testssl 3.0.8 cannot present).
        if !matches!(severity, "OK" | "INFO" | "DEBUG") {
            problems.push(format!(
                "{} ({severity}): {}",
                f["id"].as_str().unwrap_or("?"),
                f["finding"].as_str().unwrap_or("")
            ));
        }
    }
    if public {
        let hsts = findings
            .iter()
            .any(|f| f["id"] == "HSTS_time" && f["severity"] == "OK");
        if !hsts {
            problems.push("no HSTS header of at least six months".to_owned());
        }
    }
    problems
}

/// testssl.sh against the storefront, the console and the cart (mutual TLS: testssl has
/// no client certificate, so only the handshake-level checks run there).
fn scan_tls(ca: &str) -> anyhow::Result<()> {
    let out = dev_dir().join("testssl");
    std::fs::create_dir_all(&out)?;
    let mut problems = Vec::new();
    // A page each listener answers with 200 (the console's `/` redirects to its login).
    for (name, port, path, public) in [
        ("storefront", STOREFRONT_PORT, "/", true),
        ("tenant-admin", ADMIN_PORT, "/login", true),
        ("cart", CART_PORT, "/", false),
        ("access-control", crate::ops::ACCESS_PORT, "/", false),
    ] {
        println!("xtask: testssl against {name} (localhost:{port})");
        let json = out.join(format!("{name}.json"));
        let _ = std::fs::remove_file(&json);
        let json_text = json.to_string_lossy().into_owned();
        let url = format!("https://localhost:{port}{path}");
        let mut args = vec![
            "--quiet",
            "--color",
            "0",
            "--warnings",
            "off",
            "--add-ca",
            ca,
            "--protocols",
            "--std",
            "--jsonfile",
            &json_text,
        ];
        if public {
            args.push("--headers");
        }
        args.push(&url);
        let status = Command::new("testssl")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .status()
            .context("cannot run testssl")?;
        let findings: Vec<Value> = std::fs::read_to_string(&json)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .with_context(|| format!("testssl wrote no findings for {name} ({status})"))?;
        problems.extend(
            tls_problems(&findings, public)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    if !problems.is_empty() {
        bail!("the TLS scan found:\n  {}", problems.join("\n  "));
    }
    println!("xtask: TLS scan clean (findings in {})", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: &str, text: &str) -> Value {
        json!({ "id": id, "severity": severity, "finding": text })
    }

    fn clean() -> Vec<Value> {
        let mut f: Vec<Value> = NOT_OFFERED
            .iter()
            .map(|id| finding(id, "OK", "not offered"))
            .collect();
        f.push(finding("TLS1_3", "OK", "offered with final"));
        f.push(finding("HSTS_time", "OK", "730 days"));
        f
    }

    #[test]
    fn a_console_run_counts_only_signed_in_reads() {
        let entry = |method: &str, url: &str, status: u16| json!({ "request": { "method": method, "url": url }, "response": { "status": status } });
        let har = json!({ "log": { "entries": [
            entry("GET", "https://localhost:8444/api/v1/me", 200),
            entry("GET", "https://localhost:8444/api/v1/products?status=active", 200),
            entry("GET", "https://localhost:8444/api/v1/me", 401),
            entry("POST", "https://localhost:8444/api/v1/products", 200),
            entry("GET", "https://localhost:8444/api/v1/openapi.json", 200),
        ] } });
        assert_eq!(authenticated_reads(&har), 2);
        assert_eq!(authenticated_reads(&json!({})), 0);
    }

    #[test]
    fn a_clean_scan_passes_and_old_protocols_weak_ciphers_or_no_hsts_fail() {
        assert!(tls_problems(&clean(), true).is_empty());
        let mut old = clean();
        old[3] = finding("TLS1_1", "LOW", "offered (deprecated)");
        assert_eq!(tls_problems(&old, false).len(), 2);
        let mut no_hsts = clean();
        no_hsts.retain(|f| f["id"] != "HSTS_time");
        assert!(tls_problems(&no_hsts, false).is_empty());
        assert_eq!(tls_problems(&no_hsts, true).len(), 1);
        let mut skipped = clean();
        skipped.push(finding("service", "DEBUG", "Couldn't determine service"));
        assert!(tls_problems(&skipped, false).is_empty());
        // A note on the scanner's own openssl is no finding on the server; the same
        // severity on anything else is.
        let mut scanner = clean();
        scanner.push(finding(
            "engine_problem",
            "WARN",
            "No engine or GOST support via engine",
        ));
        assert!(tls_problems(&scanner, false).is_empty());
        scanner.push(finding("cert_chain_of_trust", "WARN", "failed"));
        assert_eq!(tls_problems(&scanner, false).len(), 1);
        let mut untested = clean();
        untested.retain(|f| f["id"] != "cipherlist_LOW");
        assert_eq!(
            tls_problems(&untested, false),
            ["cipherlist_LOW: not tested"]
        );
    }
}
