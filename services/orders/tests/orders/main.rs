//! The orders service over real HTTPS with client certificates and real Postgres,
//! connected as the `orders` role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod children;
mod concurrency;
mod consent;
mod mail;
mod placement;
mod privacy;
mod reads;

use std::sync::Arc;
use std::time::Duration;

use orders::{Application, Config};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::{TcpGate, TestDb};
use platform_vault::LocalKek;
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// The platform's key for erasure certificates in these tests.
pub fn certificate_key() -> platform_audit::AuditKey {
    platform_audit::AuditKey::from_seed("certificate-test", &[7u8; 32]).unwrap()
}

pub struct Fixture {
    pub db: TestDb,
    pub admin: TenantDb,
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub shop: TenantId,
    pub other: TenantId,
    pub gate: Option<TcpGate>,
}

pub async fn create_shop(admin: &TenantDb, handle: &str) -> TenantId {
    let id = TenantId::random();
    let mut tx = admin.begin(id).await.unwrap();
    sqlx::query(
        "insert into tenants (id, handle, display_name, host_names) values ($1, $2, $2, $3)",
    )
    .bind(id)
    .bind(handle)
    .bind(vec![format!("{handle}.shop.localhost")])
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query("insert into store_settings (tenant_id, currency) values ($1, 'EUR')")
        .bind(id)
        .execute(&mut tx)
        .await
        .unwrap();
    // Germany: standard 4.90, express 9.90, 19 % VAT included; Switzerland: 14.00, no tax.
    for (country, name, price) in [
        ("DE", "Standard", 490),
        ("DE", "Express", 990),
        ("CH", "Standard", 1400),
    ] {
        sqlx::query(
            "insert into shipping_rates (tenant_id, id, country, name, price_minor) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(Uuid::new_v4())
        .bind(country)
        .bind(name)
        .bind(price)
        .execute(&mut tx)
        .await
        .unwrap();
    }
    sqlx::query(
        "insert into tax_rates (tenant_id, country, rate_bp, inclusive) values ($1, 'DE', 1900, true)",
    )
    .bind(id)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A product with one variant; returns the variant id.
pub async fn variant(
    admin: &TenantDb,
    tenant: TenantId,
    title: &str,
    price: i64,
    stock: i32,
) -> Uuid {
    let (product, variant) = (Uuid::new_v4(), Uuid::new_v4());
    let mut tx = admin.begin(tenant).await.unwrap();
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, status) values ($1, $2, $3, $4, 'active')",
    )
    .bind(tenant)
    .bind(product)
    .bind(format!("p-{}", &variant.simple().to_string()[..12]))
    .bind(title)
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, price_minor, currency, stock) \
         values ($1, $2, $3, $4, $5, 'EUR', $6)",
    )
    .bind(tenant)
    .bind(variant)
    .bind(product)
    .bind(format!("SKU-{}", variant.simple()))
    .bind(price)
    .bind(stock)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    variant
}

/// Runs one statement in `tenant`'s scope as the console's role.
pub async fn exec(admin: &TenantDb, tenant: TenantId, sql: &'static str) {
    let mut tx = admin.begin(tenant).await.unwrap();
    sqlx::query(sql).execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// The shop's id of a shipping rate by country and name.
pub async fn rate(admin: &TenantDb, tenant: TenantId, country: &str, name: &str) -> Uuid {
    let mut tx = admin.begin(tenant).await.unwrap();
    let id = sqlx::query_scalar("select id from shipping_rates where country = $1 and name = $2")
        .bind(country)
        .bind(name)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Fixture {
    pub async fn new() -> Fixture {
        Self::build(false, Duration::from_secs(3600), "storefront").await
    }

    /// With `gated`, the service reaches Postgres through a [`TcpGate`] the test can close.
    pub async fn build(gated: bool, sweep: Duration, caller: &str) -> Fixture {
        Self::build_with_mail(gated, sweep, caller, None).await
    }

    /// As [`Fixture::build`], sending the outbox's mail to `smtp_url` every 100 ms.
    pub async fn build_with_mail(
        gated: bool,
        sweep: Duration,
        caller: &str,
        smtp_url: Option<String>,
    ) -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let admin = TenantDb::new(db.pool_as("tenant_admin", 4).await.unwrap());
        let shop = create_shop(&admin, "alpine").await;
        let other = create_shop(&admin, "bamboo").await;

        let mut database = db.options_for("orders");
        let gate = if gated {
            let gate = TcpGate::open_to("127.0.0.1:5432".parse().unwrap())
                .await
                .unwrap();
            database = database.port(gate.port());
            Some(gate)
        } else {
            None
        };
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        let (cert, key) = ca.write_server_cert(dir.path(), &[]).unwrap();
        let (client_cert, client_key) = ca.write_client_cert(dir.path(), caller).unwrap();
        let app = Application::build(Config {
            server: ServerConfig {
                https_addr: "127.0.0.1:0".parse().unwrap(),
                http_redirect: None,
                public_https_port: None,
                tls_cert: cert,
                tls_key: key,
                client_ca: Some(dir.path().join("ca.pem")),
                require_client_cert: true,
            },
            database,
            kek: Arc::new(LocalKek::generate(1)),
            callers: Arc::from(vec!["storefront".to_owned(), "tenant-admin".to_owned()]),
            hold_sweep_every: sweep,
            mail: smtp_url.map(|smtp_url| orders::MailConfig {
                smtp_url,
                from: "orders@platform.test".to_owned(),
                every: Duration::from_millis(100),
            }),
            processor: None,
            carrier: None,
            privacy: orders::PrivacyConfig {
                certificate_key: certificate_key(),
                storefront_port: 443,
            },
        })
        .unwrap();
        let base = format!("https://localhost:{}", app.https_port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let tls = platform_web::tls::client_config(
            &dir.path().join("ca.pem"),
            Some((&client_cert, &client_key)),
        )
        .unwrap();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Fixture {
            db,
            admin,
            base,
            client,
            dir,
            shop,
            other,
            gate,
        }
    }

    pub fn url(&self, tenant: TenantId, rest: &str) -> String {
        format!("{}/v1/shops/{tenant}{rest}", self.base)
    }

    pub async fn answer(response: reqwest::Response) -> Answer {
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.json().await.unwrap_or(Value::Null),
        }
    }

    pub async fn post(
        &self,
        tenant: TenantId,
        rest: &str,
        key: Option<&str>,
        body: &Value,
    ) -> Answer {
        let mut request = self.client.post(self.url(tenant, rest)).json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    pub async fn get(&self, tenant: TenantId, rest: &str) -> Answer {
        Self::answer(
            self.client
                .get(self.url(tenant, rest))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn place(&self, tenant: TenantId, key: &str, body: &Value) -> Answer {
        self.post(tenant, "/orders", Some(key), body).await
    }

    /// A quote's total for `lines` shipped to Germany by standard rate.
    pub async fn total(&self, tenant: TenantId, lines: &Value) -> i64 {
        let rate = rate(&self.admin, tenant, "DE", "Standard").await;
        let q = self
            .post(
                tenant,
                "/quotes",
                None,
                &json!({ "lines": lines, "country": "DE", "shipping_rate_id": rate }),
            )
            .await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        q.body["total_minor"].as_i64().unwrap()
    }

    /// A complete order body for `lines` to Germany, standard rate, at today's total.
    pub async fn order(&self, tenant: TenantId, lines: Value) -> Value {
        let total = self.total(tenant, &lines).await;
        let rate = rate(&self.admin, tenant, "DE", "Standard").await;
        json!({
            "lines": lines,
            "contact": { "name": "Ada Lovelace", "email": "ada@example.org", "phone": "" },
            "shipping": {
                "name": "Ada Lovelace", "line1": "Hauptstraße 1", "postal_code": "10115",
                "city": "Berlin", "country": "DE"
            },
            "shipping_rate_id": rate,
            "expected_total_minor": total,
            "buyer_ip": "203.0.113.77"
        })
    }

    /// Rows of `sql` (a count) in `tenant`'s scope, read as the orders role.
    pub async fn count(&self, tenant: TenantId, sql: &'static str) -> i64 {
        let db = TenantDb::new(self.db.pool_as("orders", 1).await.unwrap());
        let mut tx = db.begin(tenant).await.unwrap();
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        n
    }

    pub async fn stock(&self, tenant: TenantId, variant: Uuid) -> i32 {
        let mut tx = self.admin.begin(tenant).await.unwrap();
        let n: i32 = sqlx::query_scalar("select stock from variants where id = $1")
            .bind(variant)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    }
}

pub fn lines(items: &[(Uuid, u32)]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|(v, q)| json!({ "variant_id": v, "quantity": q }))
            .collect(),
    )
}
