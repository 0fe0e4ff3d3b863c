//! tenant-admin over real HTTPS, against a fresh database, as the `tenant_admin` role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod access;
mod auth;
mod catalog;
mod checkout;
mod collections;
mod images;
mod requests;
mod retention;
mod staff;
mod variants;

use std::sync::Arc;

use platform_auth::LoginPolicy;
use platform_testkit::TestDb;
use platform_vault::LocalKek;
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tenant_admin::{Application, Clock, Config};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct App {
    pub base: String,
    pub clock: Clock,
    pub ca_pem: String,
    pub db: TestDb,
    /// TOTP secrets (base32) of the members who set one up, by email.
    pub secrets: std::sync::Mutex<std::collections::HashMap<String, String>>,
    _dir: tempfile::TempDir,
}

pub struct Options {
    pub policy: LoginPolicy,
    pub failed_logins_per_network: u32,
    pub signups_per_network_per_hour: u32,
    pub fetch_private_images: bool,
}

/// The bucket these tests keep product pictures in (the dev Garage).
pub const IMAGES_BUCKET: &str = "tenant-admin-test-images";

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: LoginPolicy::default(),
            // Tests log in many times from 127.0.0.1; the per-network limit has its own test.
            failed_logins_per_network: 10_000,
            // Tests open many shops from 127.0.0.1; the limit has its own test.
            signups_per_network_per_hour: 10_000,
            // The picture-import tests serve their pictures from this machine.
            fetch_private_images: true,
        }
    }
}

impl App {
    pub async fn start() -> App {
        App::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> App {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        let (cert, key) = ca.write_server_cert(dir.path(), &[]).unwrap();
        let clock = Clock::manual(chrono::Utc::now());
        let app = Application::build(Config {
            server: ServerConfig {
                https_addr: "127.0.0.1:0".parse().unwrap(),
                http_redirect: None,
                public_https_port: None,
                tls_cert: cert,
                tls_key: key,
                client_ca: None,
                require_client_cert: false,
            },
            database: db.options_for("tenant_admin"),
            shop_domain: "shop.localhost".to_owned(),
            storefront_port: 8443,
            kek: Arc::new(LocalKek::generate(1)),
            hash_slots: 2,
            hash_queue_wait: std::time::Duration::from_secs(10),
            login_policy: options.policy,
            failed_logins_per_network: options.failed_logins_per_network,
            signups_per_network_per_hour: options.signups_per_network_per_hour,
            orders: None,
            clock: clock.clone(),
            public_url: None,
            mail: Some(tenant_admin::MailLink {
                smtp_url: platform_testkit::smtp_url(),
                from: "staff@shop.localhost".to_owned(),
                every: std::time::Duration::from_millis(200),
            }),
            images: Some(platform_testkit::images_s3(IMAGES_BUCKET).unwrap()),
            fetch_private_images: options.fetch_private_images,
        })
        .unwrap();
        let base = format!("https://localhost:{}", app.https_port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        App {
            base,
            clock,
            secrets: Default::default(),
            ca_pem: ca.cert_pem().to_owned(),
            db,
            _dir: dir,
        }
    }

    /// A client with its own cookie jar, trusting the test CA.
    pub fn client(&self) -> reqwest::Client {
        platform_testkit::https_client(&self.ca_pem)
            .unwrap()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// A client whose connections come from `ip` (any 127.0.0.0/8 address reaches the
    /// loopback listener), to act as visitors from different networks.
    pub fn client_from(&self, ip: [u8; 4]) -> reqwest::Client {
        platform_testkit::https_client(&self.ca_pem)
            .unwrap()
            .cookie_store(true)
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs a shop up and returns its tenant id.
    pub async fn signup(&self, handle: &str, email: &str) -> String {
        let res = self
            .client()
            .post(self.url("/api/v1/signup"))
            .json(&json!({ "handle": handle, "display_name": format!("Shop {handle}"), "currency": "EUR", "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        body["tenant_id"].as_str().unwrap().to_owned()
    }

    /// Logs in; returns the client (holding the session cookie) and the CSRF token.
    pub async fn login(&self, handle: &str, email: &str) -> Session {
        let client = self.client();
        let res = client
            .post(self.url("/api/v1/login"))
            .json(&json!({ "shop": handle, "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        let body: Value = res.json().await.unwrap();
        let session = Session {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
        };
        if body["mfa_required"] == true {
            let secret = self.secrets.lock().unwrap().get(email).cloned().unwrap();
            let (status, answer) = session
                .post("/api/v1/login/code", json!({ "code": self.code(&secret) }))
                .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        session
    }

    /// The code of `secret` on the console's clock, one step later than any code used
    /// before (the clock moves on 30 seconds: a code is good once).
    pub fn code(&self, secret: &str) -> String {
        self.clock.advance(chrono::Duration::seconds(30));
        let t = platform_auth::totp::Totp::from_base32(secret).unwrap();
        t.code_at(self.clock.now().timestamp() as u64)
    }

    /// Sets up the second factor of the logged-in `email`.
    pub async fn enrol(&self, s: &Session, email: &str) -> Vec<String> {
        let (status, e) = s.post("/api/v1/account/mfa", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let secret = e["secret"].as_str().unwrap().to_owned();
        let (status, codes) = s
            .post(
                "/api/v1/account/mfa/confirm",
                json!({ "code": self.code(&secret) }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{codes}");
        self.secrets
            .lock()
            .unwrap()
            .insert(email.to_owned(), secret);
        codes["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }

    /// Signs up, logs in and sets up the owner's second factor (owners need one).
    pub async fn shop(&self, handle: &str) -> Session {
        let email = format!("owner@{handle}.example");
        self.signup(handle, &email).await;
        let s = self.login(handle, &email).await;
        self.enrol(&s, &email).await;
        s
    }
}

pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl Session {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// A console page's HTML.
    pub async fn page(&self, path: &str) -> String {
        match self.get(path).await {
            (StatusCode::OK, Value::String(html)) => html,
            other => panic!("{path}: {other:?}"),
        }
    }

    /// Posts a console form; the status and the page (or redirect) it answers with.
    pub async fn post_form(&self, path: &str, form: &[(&str, String)]) -> (StatusCode, String) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Imports a catalog file through the API (with or without its content type).
    pub async fn import_csv(&self, csv: String) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/catalog.csv", self.base))
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}
