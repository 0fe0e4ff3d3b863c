//! access-control against a real Postgres (each test its own database), a real mutual-TLS
//! listener and real certificates. Tenant data is read as the `access_control` role, the
//! service's own: the grant policies are what is under test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod break_glass;
mod database;
mod disclosures;
mod grants;
mod login;
mod review;
mod sre;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use access_control::cli::BootstrapArgs;
use access_control::{Application, Config, Sweeper};
use platform_auth::{Clock, LoginPolicy};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::{Authenticator, TestDb};
use platform_vault::{KeyEncryptionKey, LocalKek, Vault};
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;
use serde_json::{Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple 42";

/// A database with two shops (one with an order), the service running, and a security
/// officer made by the bootstrap command.
pub struct Stack {
    pub db: TestDb,
    pub kek: Arc<dyn KeyEncryptionKey>,
    pub shop: TenantId,
    pub other: TenantId,
    pub order: Uuid,
    pub order_text: String,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub staff_ca: DevCa,
    pub sweeper: Sweeper,
    pub officer: Operator,
}

/// A platform staff member's client: their certificate on every connection.
pub struct Operator {
    pub login: String,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub cert_pem: String,
    pub totp: Authenticator,
    pub csrf: String,
}

fn config(
    stack_dir: &std::path::Path,
    db: &TestDb,
    kek: Arc<dyn KeyEncryptionKey>,
    clock: Clock,
) -> Config {
    Config {
        server: ServerConfig {
            https_addr: "127.0.0.1:0".parse().unwrap(),
            http_redirect: None,
            public_https_port: None,
            tls_cert: stack_dir.join("server.pem"),
            tls_key: stack_dir.join("server-key.pem"),
            client_ca: Some(stack_dir.join("staff").join("ca.pem")),
            require_client_cert: true,
        },
        database: db.options_for("access_control"),
        kek,
        hash_slots: 2,
        login_policy: LoginPolicy::default(),
        sweep_every: Duration::from_secs(3600),
        totp_issuer: "Platform operations (test)".to_owned(),
        clock,
    }
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
    tx.commit().await.unwrap();
    id
}

/// An order of Erika Muster as the orders service writes one: contact and address sealed
/// under her own key, a captured card payment.
pub async fn place_order(db: &TestDb, kek: Arc<dyn KeyEncryptionKey>, shop: TenantId) -> Uuid {
    let orders = TenantDb::new(db.pool_as("orders", 2).await.unwrap());
    let vault = Vault::new(kek);
    let mut tx = orders.begin(shop).await.unwrap();
    let id = Uuid::new_v4();
    let subject = Uuid::new_v4();
    let contact =
        json!({"name": "Erika Muster", "email": "erika@example.org", "phone": "+49 30 1234567"});
    let address = json!({"name": "Erika Muster", "line1": "Hauptstraße 5", "line2": "", "postal_code": "10115", "city": "Berlin", "region": "", "country": "DE"});
    let contact = vault
        .seal_for_subject(
            &mut tx,
            subject,
            "orders.contact",
            contact.to_string().as_bytes(),
        )
        .await
        .unwrap();
    let address = vault
        .seal_for_subject(
            &mut tx,
            subject,
            "orders.shipping",
            address.to_string().as_bytes(),
        )
        .await
        .unwrap();
    sqlx::query(
        "insert into orders (tenant_id, id, number, reference, public_code, status, currency, \
         subtotal_minor, shipping_minor, tax_minor, total_minor, tax_rate_bp, tax_inclusive, \
         shipping_rate_name, subject_id, contact_sealed, shipping_sealed, buyer_ip, hold_until) \
         values ($1, $2, 1001, '#1001', $3, 'paid', 'EUR', 4990, 490, 797, 5480, 1900, true, \
         'Standard', $4, $5, $6, '203.0.113.7', now() + interval '1 hour')",
    )
    .bind(shop)
    .bind(id)
    .bind(format!("{}", Uuid::new_v4().simple())[..22].to_owned())
    .bind(subject)
    .bind(contact.as_bytes())
    .bind(address.as_bytes())
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into order_lines (tenant_id, order_id, position, variant_id, sku, product_title, \
         variant_title, unit_price_minor, quantity, line_total_minor) \
         values ($1, $2, 0, $3, 'BOOT-42', 'Hiking boot', '42', 4990, 1, 4990)",
    )
    .bind(shop)
    .bind(id)
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into payments (tenant_id, order_id, processor_id, status, amount_minor, currency, \
         card_brand, card_last4, card_exp_month, card_exp_year, processor_token, captured_at) \
         values ($1, $2, $3, 'captured', 5480, 'EUR', 'visa', '4242', 12, 2030, 'tok_abc', now())",
    )
    .bind(shop)
    .bind(id)
    .bind(format!("pay_{}", Uuid::new_v4().simple()))
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// kind, id, roles, entity, objects, classes, purpose.
type AuditRow = (
    String,
    Option<Uuid>,
    Vec<String>,
    Option<String>,
    Vec<String>,
    Vec<String>,
    String,
);

impl Stack {
    pub async fn new() -> Stack {
        Stack::new_with(Clock::system()).await
    }

    /// A stack whose service reads `clock` (tests of the review move it).
    pub async fn new_with(clock: Clock) -> Stack {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let admin = TenantDb::new(db.pool_as("tenant_admin", 2).await.unwrap());
        let shop = create_shop(
            &admin,
            &format!("alpine-{}", &Uuid::new_v4().simple().to_string()[..6]),
        )
        .await;
        let other = create_shop(
            &admin,
            &format!("bamboo-{}", &Uuid::new_v4().simple().to_string()[..6]),
        )
        .await;
        let kek: Arc<dyn KeyEncryptionKey> = Arc::new(LocalKek::generate(1));
        let order = place_order(&db, kek.clone(), shop).await;
        place_order(&db, kek.clone(), other).await;

        let dir = tempfile::tempdir().unwrap();
        let server_ca = DevCa::load_or_create(dir.path()).unwrap();
        server_ca.write_server_cert(dir.path(), &[]).unwrap();
        let staff_ca = DevCa::load_or_create(&dir.path().join("staff")).unwrap();

        // The first security officer, by the bootstrap command.
        let (cert, _) = staff_ca
            .write_client_cert(&dir.path().join("staff"), "sofia")
            .unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, PASSWORD).unwrap();
        let totp_out = dir.path().join("sofia.totp");
        access_control::cli::bootstrap(
            config(dir.path(), &db, kek.clone(), clock.clone()),
            BootstrapArgs {
                login: "sofia".to_owned(),
                name: "Sofia Officer".to_owned(),
                entity: "Platform Operations GmbH".to_owned(),
                certificate: cert,
                password_file: password.clone(),
                totp_out: Some(totp_out.clone()),
            },
        )
        .await
        .unwrap();
        // A second bootstrap is refused: security officers create everyone else.
        assert!(
            access_control::cli::bootstrap(
                config(dir.path(), &db, kek.clone(), clock.clone()),
                BootstrapArgs {
                    login: "mallory".to_owned(),
                    name: "Mallory".to_owned(),
                    entity: "Platform Operations GmbH".to_owned(),
                    certificate: dir.path().join("staff").join("sofia-client.pem"),
                    password_file: password,
                    totp_out: None,
                },
            )
            .await
            .is_err()
        );

        let app = Application::build(config(dir.path(), &db, kek.clone(), clock.clone())).unwrap();
        let base = format!("https://localhost:{}", app.https_port());
        let sweeper = app.sweeper();
        tokio::spawn(app.run_until_stopped(std::future::pending()));

        let secret = std::fs::read_to_string(&totp_out).unwrap();
        let mut officer = Stack::client_for(dir.path(), "sofia", &secret);
        let (status, body) = officer.login(&base, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        officer.csrf = body["csrf_token"].as_str().unwrap().to_owned();
        Stack {
            db,
            kek,
            shop,
            other,
            order,
            order_text: order.to_string(),
            base,
            dir,
            staff_ca,
            sweeper,
            officer,
        }
    }

    fn client_for(dir: &std::path::Path, login: &str, secret: &str) -> Operator {
        let staff = dir.join("staff");
        let tls = platform_web::tls::client_config(
            &dir.join("ca.pem"),
            Some((
                &staff.join(format!("{login}-client.pem")),
                &staff.join(format!("{login}-client-key.pem")),
            )),
        )
        .unwrap();
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Operator {
            login: login.to_owned(),
            client,
            jar,
            cert_pem: std::fs::read_to_string(staff.join(format!("{login}-client.pem"))).unwrap(),
            totp: Authenticator::new(secret.trim()).unwrap(),
            csrf: String::new(),
        }
    }

    /// A client presenting `login`'s certificate, with no cookies of its own.
    pub fn cert_client(&self, login: &str) -> reqwest::Client {
        let staff = self.dir.path().join("staff");
        let tls = platform_web::tls::client_config(
            &self.dir.path().join("ca.pem"),
            Some((
                &staff.join(format!("{login}-client.pem")),
                &staff.join(format!("{login}-client-key.pem")),
            )),
        )
        .unwrap();
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A certificate of the staff CA for `login` (not yet registered).
    pub fn issue_cert(&self, login: &str) -> PathBuf {
        self.staff_ca
            .write_client_cert(&self.dir.path().join("staff"), login)
            .unwrap()
            .0
    }

    /// The security officer adds a member with `roles`; returns them logged in.
    pub async fn member(&self, login: &str, roles: &[&str]) -> Operator {
        let cert = std::fs::read_to_string(self.issue_cert(login)).unwrap();
        let (status, body) = self
            .officer
            .post(
                &self.base,
                "/api/v1/staff",
                &json!({"login": login, "name": format!("{login} tester"), "entity": "Platform Operations GmbH",
                        "password": PASSWORD, "certificate": cert, "roles": roles}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let mut op = Stack::client_for(
            self.dir.path(),
            login,
            body["totp_secret"].as_str().unwrap(),
        );
        let (status, body) = op.login(&self.base, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        op.csrf = body["csrf_token"].as_str().unwrap().to_owned();
        op
    }

    /// A pool as `role`, for tests that read the database the way a service does.
    pub async fn pool(&self, role: &str) -> TenantDb {
        TenantDb::new(self.db.pool_as(role, 2).await.unwrap())
    }

    /// The shop's owner approves a grant the way tenant-admin does (as its role).
    pub async fn approve(&self, shop: TenantId, grant: Uuid) {
        let admin = self.pool("tenant_admin").await;
        let mut tx = admin.begin(shop).await.unwrap();
        let done = sqlx::query(
            "update processor.access_grants set status = 'approved', decided_at = now(), \
             decided_by = $2, starts_at = now(), ends_at = now() + make_interval(mins => minutes) \
             where tenant_id = $1 and id = $3 and status = 'pending'",
        )
        .bind(shop)
        .bind(Uuid::new_v4())
        .bind(grant)
        .execute(&mut tx)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
        tx.commit().await.unwrap();
    }

    /// The shop's audit events of `action`.
    pub async fn audit(&self, shop: TenantId, action: &str) -> Vec<Value> {
        let admin = self.pool("tenant_admin").await;
        let mut tx = admin.begin(shop).await.unwrap();
        let rows: Vec<AuditRow> = sqlx::query_as(
            "select actor_kind, actor_id, actor_roles, actor_entity, objects, classes, purpose \
                 from audit.events where tenant_id = $1 and action = $2 order by seq",
        )
        .bind(shop)
        .bind(action)
        .fetch_all(&mut tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        rows.into_iter()
            .map(|(kind, id, roles, entity, objects, classes, purpose)| {
                json!({"kind": kind, "id": id, "roles": roles, "entity": entity,
                       "objects": objects, "classes": classes, "purpose": purpose})
            })
            .collect()
    }

    /// The notices queued for the shop's owners.
    pub async fn notices(&self, shop: TenantId) -> Vec<String> {
        let admin = self.pool("tenant_admin").await;
        let mut tx = admin.begin(shop).await.unwrap();
        let kinds: Vec<String> = sqlx::query_scalar(
            "select kind from processor.grant_notices where tenant_id = $1 order by created_at, kind",
        )
        .bind(shop)
        .fetch_all(&mut tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        kinds
    }
}

impl Operator {
    /// The `Cookie` header the client sends to `base`.
    pub fn session_cookie(&self, base: &str) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&base.parse().unwrap())
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// Logs in with the code of `clock`'s time (a moved clock), keeping the CSRF token.
    pub async fn login_at(&mut self, base: &str, clock: &Clock) {
        let totp = platform_auth::totp::Totp::from_base32(self.totp.secret()).unwrap();
        let code = totp.code_at(clock.now().timestamp() as u64);
        let r = self
            .client
            .post(format!("{base}/api/v1/login"))
            .json(&json!({"login": self.login, "password": PASSWORD, "code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "login of {} at {}",
            self.login,
            clock.now()
        );
        let body: Value = r.json().await.unwrap();
        self.csrf = body["csrf_token"].as_str().unwrap().to_owned();
    }

    pub async fn login(&self, base: &str, password: &str) -> (u16, Value) {
        let code = self.totp.code().await;
        let r = self
            .client
            .post(format!("{base}/api/v1/login"))
            .json(&json!({"login": self.login, "password": password, "code": code}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, base: &str, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    pub async fn page(&self, base: &str, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post(&self, base: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{base}{path}"))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}
