//! tenant-admin over real HTTPS, against a fresh database, as the `tenant_admin` role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod auth;
mod catalog;
mod checkout;

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
    _dir: tempfile::TempDir,
}

pub struct Options {
    pub policy: LoginPolicy,
    pub failed_logins_per_network: u32,
    pub signups_per_network_per_hour: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: LoginPolicy::default(),
            // Tests log in many times from 127.0.0.1; the per-network limit has its own test.
            failed_logins_per_network: 10_000,
            // Tests open many shops from 127.0.0.1; the limit has its own test.
            signups_per_network_per_hour: 10_000,
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
            mail: None,
        })
        .unwrap();
        let base = format!("https://localhost:{}", app.https_port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        App {
            base,
            clock,
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
        Session {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
        }
    }

    /// Signs up and logs in.
    pub async fn shop(&self, handle: &str) -> Session {
        let email = format!("owner@{handle}.example");
        self.signup(handle, &email).await;
        self.login(handle, &email).await
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

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}
