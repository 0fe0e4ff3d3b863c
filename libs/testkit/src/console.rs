//! Logging in to the merchant console over its API the way a person would, second factor
//! included: for tests and for xtask's demo shops and hostile-input runs.

use std::sync::Mutex;

use platform_auth::totp::Totp;
use serde_json::{Value, json};

/// A member's authenticator app: codes from a base32 key, never two for the same 30-second
/// step (the console refuses a code twice), waiting for the next step when needed.
pub struct Authenticator {
    secret: String,
    totp: Totp,
    last: Mutex<Option<u64>>,
}

impl Authenticator {
    /// The app holding `secret` (base32, as the console shows it).
    pub fn new(secret: &str) -> Result<Self, String> {
        Ok(Authenticator {
            secret: secret.trim().to_owned(),
            totp: Totp::from_base32(secret).map_err(|e| e.to_string())?,
            last: Mutex::new(None),
        })
    }

    /// The key.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A code no earlier than any code given before (it may wait up to 30 seconds).
    pub async fn code(&self) -> String {
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        let step = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let step = last.map_or(now() / 30, |l| (l + 1).max(now() / 30));
            *last = Some(step);
            step
        };
        // The console takes one step of drift ahead; further ahead, wait.
        while step > now() / 30 + 1 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        self.totp.code_at(step * 30)
    }
}

/// A console session over the API.
pub struct ConsoleLogin {
    /// The `x-csrf-token` of the session.
    pub csrf: String,
    /// The member's authenticator (set up now when they had none).
    pub authenticator: Authenticator,
}

async fn post(
    client: &reqwest::Client,
    url: String,
    csrf: Option<&str>,
    body: Value,
) -> Result<Value, String> {
    let mut req = client.post(&url).json(&body);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let res = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("{url}: {status} {text}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Logs `email` in to the console at `base` with `client` (which must keep cookies),
/// completing the second factor with `known`, or setting one up when the member has
/// none (owners must have one).
pub async fn console_login(
    client: &reqwest::Client,
    base: &str,
    shop: &str,
    email: &str,
    password: &str,
    known: Option<Authenticator>,
) -> Result<ConsoleLogin, String> {
    let login = post(
        client,
        format!("{base}/api/v1/login"),
        None,
        json!({ "shop": shop, "email": email, "password": password }),
    )
    .await?;
    let csrf = login["csrf_token"]
        .as_str()
        .ok_or("no csrf token")?
        .to_owned();
    if login["mfa_required"] == true {
        let app = known.ok_or("the member has a second factor and no key was given")?;
        post(
            client,
            format!("{base}/api/v1/login/code"),
            None,
            json!({ "code": app.code().await }),
        )
        .await?;
        return Ok(ConsoleLogin {
            csrf,
            authenticator: app,
        });
    }
    let enrolment = post(
        client,
        format!("{base}/api/v1/account/mfa"),
        Some(&csrf),
        json!({}),
    )
    .await?;
    let app = Authenticator::new(enrolment["secret"].as_str().ok_or("no secret")?)?;
    post(
        client,
        format!("{base}/api/v1/account/mfa/confirm"),
        Some(&csrf),
        json!({ "code": app.code().await }),
    )
    .await?;
    Ok(ConsoleLogin {
        csrf,
        authenticator: app,
    })
}
