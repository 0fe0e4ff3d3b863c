//! The platform's own staff in the dev stack (issue 13): the platform staff CA, one client
//! certificate per dev member (issued once: its fingerprint is registered on the
//! account), the first security officer made by the service's `bootstrap` command, and a
//! support agent she creates through the API, as every other member is created.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use platform_web::devcert::{DevCa, write_file};
use serde_json::{Value, json};

use crate::dev_dir;

/// The access-control listener (mutual TLS with the platform staff CA).
pub const ACCESS_PORT: u16 = 8450;

/// A dev member: login, name, roles.
pub struct DevMember {
    pub login: &'static str,
    pub name: &'static str,
    pub roles: &'static [&'static str],
}

/// The dev members; the first is the security officer the bootstrap makes.
pub const DEV_STAFF: [DevMember; 2] = [
    DevMember {
        login: "sofia",
        name: "Sofia (security officer)",
        roles: &["security"],
    },
    DevMember {
        login: "sam",
        name: "Sam (support)",
        roles: &["support"],
    },
];

/// Whom the dev members work for.
pub const DEV_ENTITY: &str = "Platform Operations (dev)";

/// The staff CA and the dev members' certificates.
pub struct StaffCerts {
    /// The CA the access-control listener trusts for client certificates.
    pub ca: PathBuf,
    /// The directory of the members' certificates, keys and authenticator keys.
    pub dir: PathBuf,
}

impl StaffCerts {
    /// A member's certificate and key.
    pub fn identity(&self, login: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{login}-client.pem")),
            self.dir.join(format!("{login}-client-key.pem")),
        )
    }
}

/// Where a dev member's authenticator key is kept (`cargo xtask code ops-<login>`).
pub fn totp_key(login: &str) -> PathBuf {
    crate::seed::totp_key_path(&format!("ops-{login}"))
}

/// Creates (once) the staff CA and each dev member's certificate.
pub fn staff_certs() -> anyhow::Result<StaffCerts> {
    let dir = dev_dir().join("staff");
    let ca = DevCa::load_or_create(&dir)?;
    let certs = StaffCerts {
        ca: dir.join("ca.pem"),
        dir: dir.clone(),
    };
    for m in &DEV_STAFF {
        if !certs.identity(m.login).0.is_file() {
            ca.write_client_cert(&dir, m.login)?;
        }
    }
    Ok(certs)
}

/// The password file the bootstrap reads (the demo password).
fn password_file() -> anyhow::Result<PathBuf> {
    let path = dev_dir().join("staff").join("password");
    write_file(&path, crate::seed::DEMO_PASSWORD, true)?;
    Ok(path)
}

/// Runs `access-control bootstrap` for the first dev member; an existing security
/// officer (an earlier run) is fine.
pub async fn bootstrap(
    mut command: tokio::process::Command,
    staff: &StaffCerts,
) -> anyhow::Result<()> {
    let first = &DEV_STAFF[0];
    let key = totp_key(first.login);
    if let Some(parent) = key.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let output = command
        .arg("bootstrap")
        .args([
            "--login",
            first.login,
            "--name",
            first.name,
            "--entity",
            DEV_ENTITY,
        ])
        .arg("--certificate")
        .arg(staff.identity(first.login).0)
        .arg("--password-file")
        .arg(password_file()?)
        .arg("--totp-out")
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .context("cannot run access-control bootstrap")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        println!("xtask: platform security officer `{}` created", first.login);
    } else if !stderr.contains("security officer exists already") {
        anyhow::bail!("access-control bootstrap failed: {stderr}");
    }
    Ok(())
}

/// A client of the access-control listener presenting `login`'s certificate.
fn client(
    server_ca: &std::path::Path,
    staff: &StaffCerts,
    login: &str,
) -> anyhow::Result<reqwest::Client> {
    let (cert, key) = staff.identity(login);
    let tls = platform_web::tls::client_config(server_ca, Some((&cert, &key)))?;
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The security officer creates the other dev members (once: their authenticator keys are
/// kept). Returns their logins.
pub async fn dev_members(
    server_ca: &std::path::Path,
    staff: &StaffCerts,
) -> anyhow::Result<Vec<Value>> {
    let base = format!("https://localhost:{ACCESS_PORT}");
    let officer = &DEV_STAFF[0];
    let secret = std::fs::read_to_string(totp_key(officer.login)).context(
        "the security officer's key (run cargo xtask up once more after removing target/dev/staff)",
    )?;
    let app = platform_testkit::Authenticator::new(&secret).map_err(anyhow::Error::msg)?;
    let http = client(server_ca, staff, officer.login)?;
    let login: Value = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({ "login": officer.login, "password": crate::seed::DEMO_PASSWORD, "code": app.code().await }))
        .send()
        .await?
        .error_for_status()
        .context("the security officer's login")?
        .json()
        .await?;
    let csrf = login["csrf_token"]
        .as_str()
        .context("no csrf token")?
        .to_owned();
    let mut out = vec![json!({ "login": officer.login, "roles": officer.roles })];
    for m in DEV_STAFF.iter().skip(1) {
        let certificate = std::fs::read_to_string(staff.identity(m.login).0)?;
        let res = http
            .post(format!("{base}/api/v1/staff"))
            .header("x-csrf-token", &csrf)
            .json(&json!({
                "login": m.login, "name": m.name, "entity": DEV_ENTITY,
                "password": crate::seed::DEMO_PASSWORD, "certificate": certificate, "roles": m.roles,
            }))
            .send()
            .await?;
        match res.status().as_u16() {
            201 => {
                let added: Value = res.json().await?;
                let key = added["totp_secret"].as_str().context("no totp secret")?;
                write_file(&totp_key(m.login), key, true)?;
            }
            409 if totp_key(m.login).is_file() => {}
            status => anyhow::bail!(
                "creating platform member {}: {status} {}",
                m.login,
                res.text().await.unwrap_or_default()
            ),
        }
        out.push(json!({ "login": m.login, "roles": m.roles }));
    }
    Ok(out)
}
