//! The cart service over real HTTPS with client certificates, real Redis and Postgres,
//! connected as the `cart` role.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use cart::{Application, Config};
use platform_cart_api::{CartId, CartView, LineChanged, Prefill, Summary};
use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::{TcpGate, TestDb};
use platform_vault::LocalKek;
use platform_web::ServerConfig;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const REDIS: &str = "127.0.0.1:6379";

struct Fixture {
    _db: TestDb,
    admin: TenantDb,
    base: String,
    client: reqwest::Client,
    dir: tempfile::TempDir,
    shop: TenantId,
    other: TenantId,
    redis: redis::aio::MultiplexedConnection,
    _gate: Option<TcpGate>,
}

async fn create_shop(admin: &TenantDb, handle: &str) -> TenantId {
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

/// A product with one variant; returns the variant id.
async fn variant(admin: &TenantDb, tenant: TenantId, title: &str, price: i64, stock: i32) -> Uuid {
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

async fn exec(admin: &TenantDb, tenant: TenantId, sql: &'static str, id: Uuid) {
    let mut tx = admin.begin(tenant).await.unwrap();
    sqlx::query(sql).bind(id).execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
}

impl Fixture {
    async fn new() -> Fixture {
        Self::with_redis(false).await
    }

    /// With `gated`, the service reaches Redis through a [`TcpGate`] the test can close.
    async fn with_redis(gated: bool) -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let admin = TenantDb::new(db.pool_as("tenant_admin", 4).await.unwrap());
        let shop = create_shop(&admin, "alpine").await;
        let other = create_shop(&admin, "bamboo").await;

        let gate = if gated {
            Some(TcpGate::open_to(REDIS.parse().unwrap()).await.unwrap())
        } else {
            None
        };
        let redis_url = match &gate {
            Some(g) => format!("redis://127.0.0.1:{}", g.port()),
            None => format!("redis://{REDIS}"),
        };
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        let (cert, key) = ca.write_server_cert(dir.path(), &[]).unwrap();
        let (client_cert, client_key) = ca.write_client_cert(dir.path(), "storefront").unwrap();
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
            database: db.options_for("cart"),
            redis_url: redis_url.into(),
            visit_ttl: 7200,
            kek: Arc::new(LocalKek::generate(1)),
            callers: Arc::from(vec!["storefront".to_owned()]),
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
            .build()
            .unwrap();
        let redis = redis::Client::open(format!("redis://{REDIS}"))
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        Fixture {
            _db: db,
            admin,
            base,
            client,
            dir,
            shop,
            other,
            redis,
            _gate: gate,
        }
    }

    fn cart_url(&self, tenant: TenantId, cart: CartId, rest: &str) -> String {
        format!("{}/v1/shops/{tenant}/carts/{cart}{rest}", self.base)
    }

    async fn add(&self, cart: CartId, variant: Uuid, quantity: i64) -> (StatusCode, Value) {
        self.add_in(self.shop, cart, variant, quantity, "cookie")
            .await
    }

    async fn add_in(
        &self,
        tenant: TenantId,
        cart: CartId,
        variant: Uuid,
        quantity: i64,
        mode: &str,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .post(self.cart_url(tenant, cart, &format!("/lines?mode={mode}")))
            .json(&json!({ "variant_id": variant.to_string(), "quantity": quantity }))
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap_or(Value::Null))
    }

    async fn view(&self, cart: CartId) -> CartView {
        self.view_in(self.shop, cart).await
    }

    async fn view_in(&self, tenant: TenantId, cart: CartId) -> CartView {
        let res = self
            .client
            .get(self.cart_url(tenant, cart, ""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn ttl(&mut self, key: &str) -> i64 {
        redis::cmd("TTL")
            .arg(key)
            .query_async(&mut self.redis)
            .await
            .unwrap()
    }
}

/// Every byte string inside a Redis reply, in order.
fn collect_bytes(value: &redis::Value, out: &mut Vec<u8>) {
    match value {
        redis::Value::BulkString(bytes) => {
            out.extend_from_slice(bytes);
            out.push(b'\n');
        }
        redis::Value::SimpleString(text) => {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
        }
        redis::Value::Array(items) | redis::Value::Set(items) => {
            for item in items {
                collect_bytes(item, out);
            }
        }
        redis::Value::Map(pairs) => {
            for (k, v) in pairs {
                collect_bytes(k, out);
                collect_bytes(v, out);
            }
        }
        _ => {}
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn o7_callers_without_a_client_certificate_are_refused() {
    let f = Fixture::new().await;
    let cart = CartId::random();
    let anonymous = platform_testkit::https_client(
        &std::fs::read_to_string(f.dir.path().join("ca.pem")).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let refused = anonymous
        .get(f.cart_url(f.shop, cart, "/summary"))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a caller without a certificate got an answer"
    );

    // A certificate from another CA is refused too.
    let stranger_dir = tempfile::tempdir().unwrap();
    let stranger = DevCa::load_or_create(stranger_dir.path()).unwrap();
    let (c, k) = stranger
        .write_client_cert(stranger_dir.path(), "storefront")
        .unwrap();
    let tls =
        platform_web::tls::client_config(&f.dir.path().join("ca.pem"), Some((&c, &k))).unwrap();
    let impostor = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    assert!(
        impostor
            .get(f.cart_url(f.shop, cart, "/summary"))
            .send()
            .await
            .is_err()
    );

    let ok = f
        .client
        .get(f.cart_url(f.shop, cart, "/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

/// Threat model row 38: any certificate of the platform CA used to reach every cart. A
/// certificate the same CA issued to another service (tenant-admin, say, or a leaked dev
/// tool's) gets a coded 403 on every verb of the cart API and changes nothing; it may
/// still ask for readiness.
#[tokio::test]
async fn o7_only_the_services_allowed_to_call_the_cart_reach_its_api() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Trail Boots", 12_900, 5).await;
    let cart = CartId::random();
    let ca = DevCa::load_or_create(f.dir.path()).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let (c, k) = ca
        .write_client_cert(other_dir.path(), "tenant-admin")
        .unwrap();
    let tls =
        platform_web::tls::client_config(&f.dir.path().join("ca.pem"), Some((&c, &k))).unwrap();
    let other_service = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();

    let lines = f.cart_url(f.shop, cart, "/lines");
    let line = f.cart_url(f.shop, cart, &format!("/lines/{boots}"));
    let added = f
        .client
        .post(&lines)
        .json(&json!({ "variant_id": boots, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let attempts = [
        other_service.get(f.cart_url(f.shop, cart, "")),
        other_service.get(f.cart_url(f.shop, cart, "/summary")),
        other_service
            .post(&lines)
            .json(&json!({ "variant_id": boots, "quantity": 1 })),
        other_service.put(&line).json(&json!({ "quantity": 2 })),
        other_service.delete(&line),
        other_service.delete(f.cart_url(f.shop, cart, "")),
        other_service.get(f.cart_url(f.shop, cart, "/prefill")),
        other_service
            .put(f.cart_url(f.shop, cart, "/prefill"))
            .json(&json!({ "email": "x@example.com" })),
        other_service
            .put(f.cart_url(f.shop, cart, "/mode"))
            .json(&json!({ "mode": "visit" })),
    ];
    for attempt in attempts {
        let res = attempt.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(code(&res.json().await.unwrap()), "caller.not_allowed");
    }
    let after = f.view(cart).await;
    assert_eq!(after.lines.len(), 1, "a refused caller changed the cart");
    assert_eq!(
        after.lines[0].quantity, 1,
        "a refused caller changed the cart"
    );
    let ready = other_service
        .get(format!("{}/readyz", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn carts_are_priced_from_the_catalog_at_read_time() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Trail Boots", 12_900, 5).await;
    let socks = variant(&f.admin, f.shop, "Wool Socks", 1_500, 3).await;
    let cart = CartId::random();

    // A client-sent price is ignored: the line is priced from the catalog.
    let res = f
        .client
        .post(f.cart_url(f.shop, cart, "/lines"))
        .json(&json!({ "variant_id": boots.to_string(), "quantity": 2, "unit_price_minor": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let changed: LineChanged = res.json().await.unwrap();
    assert_eq!(changed.quantity, 2);
    assert_eq!(changed.ttl_seconds, 30 * 86_400);
    assert_eq!(f.add(cart, socks, 3).await.0, StatusCode::OK);

    let view = f.view(cart).await;
    assert_eq!(view.item_count, 5);
    assert_eq!(view.subtotal_minor, 2 * 12_900 + 3 * 1_500);
    assert_eq!(view.lines[0].product_title, "Trail Boots");
    assert!(!view.needs_attention);

    // The merchant raises the price and sells out the socks: the view says so.
    exec(
        &f.admin,
        f.shop,
        "update variants set price_minor = 13900 where id = $1",
        boots,
    )
    .await;
    exec(
        &f.admin,
        f.shop,
        "update variants set stock = 0 where id = $1",
        socks,
    )
    .await;
    let view = f.view(cart).await;
    let boots_line = &view.lines[0];
    assert!(boots_line.price_changed);
    assert_eq!(boots_line.added_price_minor, Some(12_900));
    assert_eq!(boots_line.unit_price_minor, Some(13_900));
    let socks_line = &view.lines[1];
    assert!(!socks_line.available && socks_line.stock_short);
    assert_eq!(view.subtotal_minor, 2 * 13_900);
    assert!(view.needs_attention);

    // Setting the quantity acknowledges the new price.
    let res = f
        .client
        .put(f.cart_url(f.shop, cart, &format!("/lines/{boots}")))
        .json(&json!({ "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!f.view(cart).await.lines[0].price_changed);

    // Archived products drop out of the total; removal and clearing work.
    let res = f
        .client
        .delete(f.cart_url(f.shop, cart, &format!("/lines/{socks}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    exec(
        &f.admin,
        f.shop,
        "update products set status = 'archived' where id = (select product_id from variants where id = $1)",
        boots,
    )
    .await;
    let view = f.view(cart).await;
    assert_eq!(view.lines.len(), 1);
    assert!(!view.lines[0].available);
    assert_eq!(view.subtotal_minor, 0);
    let res = f
        .client
        .delete(f.cart_url(f.shop, cart, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(f.view(cart).await.lines.len(), 0);
}

#[tokio::test]
async fn limits_answer_coded_4xx_and_change_nothing() {
    let f = Fixture::new().await;
    let few = variant(&f.admin, f.shop, "Rare Lantern", 5_000, 2).await;
    let draft = variant(&f.admin, f.shop, "Prototype", 100, 10).await;
    exec(
        &f.admin,
        f.shop,
        "update products set status = 'draft' where id = (select product_id from variants where id = $1)",
        draft,
    )
    .await;
    let theirs = variant(&f.admin, f.other, "Jasmine Tea", 900, 10).await;
    let cart = CartId::random();

    for (quantity, expected) in [
        (0, "cart.quantity_invalid"),
        (1000, "cart.quantity_invalid"),
    ] {
        let (status, body) = f.add(cart, few, quantity).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code(&body), expected);
    }
    let (status, body) = f.add(cart, few, 3).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&body), "cart.insufficient_stock");
    assert_eq!(f.add(cart, few, 2).await.0, StatusCode::OK);
    assert_eq!(
        code(&f.add(cart, few, 1).await.1),
        "cart.insufficient_stock"
    );
    for unknown in [draft, theirs, Uuid::new_v4()] {
        let (status, body) = f.add(cart, unknown, 1).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code(&body), "cart.variant_unavailable");
    }
    // Malformed ids: 400 with one code, whatever is wrong.
    for path in [
        format!("{}/v1/shops/not-a-uuid/carts/{cart}/summary", f.base),
        format!("{}/v1/shops/{}/carts/XYZ/summary", f.base, f.shop),
        format!(
            "{}/v1/shops/{}/carts/{}/summary",
            f.base,
            f.shop,
            "0".repeat(31)
        ),
    ] {
        let res = f.client.get(path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(code(&res.json().await.unwrap()), "cart.malformed_id");
    }
    let res = f
        .client
        .post(f.cart_url(f.shop, cart, "/lines"))
        .json(&json!({ "variant_id": "nope", "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = f
        .client
        .post(f.cart_url(f.shop, cart, "/lines"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());

    // 100 lines at most.
    let big = CartId::random();
    let mut ids = Vec::new();
    for i in 0..101 {
        ids.push(variant(&f.admin, f.shop, &format!("Item {i:03}"), 100, 5).await);
    }
    for id in &ids[..100] {
        assert_eq!(f.add(big, *id, 1).await.0, StatusCode::OK);
    }
    let (status, body) = f.add(big, ids[100], 1).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&body), "cart.line_limit");
    // Adding more of a line already there is still fine at the limit.
    assert_eq!(f.add(big, ids[0], 1).await.0, StatusCode::OK);
    let view = f.view(big).await;
    assert_eq!(view.lines.len(), 100);
    assert_eq!(view.item_count, 101);
    // The first cart is untouched by every refusal: 2 lanterns.
    assert_eq!(f.view(cart).await.item_count, 2);
}

#[tokio::test]
async fn a_hundred_concurrent_adds_from_two_tabs_lose_nothing() {
    let f = Arc::new(Fixture::new().await);
    let tea = variant(&f.admin, f.shop, "Sencha", 800, 1_000).await;
    let cups = variant(&f.admin, f.shop, "Cup", 500, 1_000).await;
    let cart = CartId::random();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let f = f.clone();
        // Two "tabs": two clients (two connection pools) on the same cart.
        let tab = if i % 2 == 0 {
            f.client.clone()
        } else {
            reqwest::Client::builder()
                .tls_backend_preconfigured(
                    platform_web::tls::client_config(
                        &f.dir.path().join("ca.pem"),
                        Some((
                            &f.dir.path().join("storefront-client.pem"),
                            &f.dir.path().join("storefront-client-key.pem"),
                        )),
                    )
                    .unwrap(),
                )
                .build()
                .unwrap()
        };
        let variant = if i % 4 < 2 { tea } else { cups };
        tasks.spawn(async move {
            let res = tab
                .post(f.cart_url(f.shop, cart, "/lines"))
                .json(&json!({ "variant_id": variant.to_string(), "quantity": 1 }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let view = f.view(cart).await;
    assert_eq!(view.item_count, 100);
    assert_eq!(
        view.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(),
        vec![50, 50]
    );
}

#[tokio::test]
async fn o4_keys_share_one_hash_tag_and_slide_with_the_shops_ttl() {
    let mut f = Fixture::new().await;
    let tea = variant(&f.admin, f.shop, "Sencha", 800, 10).await;
    let cart = CartId::random();
    assert_eq!(f.add(cart, tea, 1).await.0, StatusCode::OK);
    let tag = cart::store::key_tag(f.shop, cart);
    assert_eq!(tag, format!("cart:{{{}:{cart}}}", f.shop));
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("cart:{{{}:{cart}}}:*", f.shop))
        .query_async(&mut f.redis)
        .await
        .unwrap();
    assert_eq!(keys.len(), 3, "{keys:?}");
    for key in &keys {
        // The hash tag is the whole {tenant:cart} part: one cluster slot per cart.
        let open = key.find('{').unwrap();
        let close = key.find('}').unwrap();
        assert_eq!(&key[open + 1..close], format!("{}:{cart}", f.shop));
        let ttl = f.ttl(key).await;
        assert!(ttl > 30 * 86_400 - 60 && ttl <= 30 * 86_400, "{key}: {ttl}");
    }

    // Sliding: time passes (simulated by shortening the TTL), a view renews it.
    let lines = format!("{tag}:lines");
    let _: () = redis::cmd("EXPIRE")
        .arg(&lines)
        .arg(100)
        .query_async(&mut f.redis)
        .await
        .unwrap();
    f.view(cart).await;
    assert!(f.ttl(&lines).await > 30 * 86_400 - 60);

    // The shop's own setting.
    exec(
        &f.admin,
        f.shop,
        "update store_settings set cart_ttl_days = 7 where tenant_id = $1",
        f.shop.as_uuid(),
    )
    .await;
    f.add(cart, tea, 1).await;
    assert!(f.ttl(&lines).await <= 7 * 86_400);

    // Cookie-less carts live two hours.
    let visit = CartId::random();
    let (status, body) = f.add_in(f.shop, visit, tea, 1, "visit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ttl_seconds"], 7200);
    let ttl = f
        .ttl(&format!("{}:lines", cart::store::key_tag(f.shop, visit)))
        .await;
    assert!(ttl > 7000 && ttl <= 7200, "{ttl}");

    // The same cart id in another shop is another cart.
    assert_eq!(f.view_in(f.other, cart).await.item_count, 0);
}

#[tokio::test]
async fn o4_prefill_is_sealed_before_it_reaches_redis_and_can_be_forgotten() {
    let mut f = Fixture::new().await;
    let tea = variant(&f.admin, f.shop, "Sencha", 800, 10).await;
    let cart = CartId::random();
    f.add(cart, tea, 1).await;
    let draft = Prefill {
        name: "Marker Prefillson".into(),
        email: "marker.prefill@example.org".into(),
        phone: "+49 30 1234567".into(),
        address_line1: "Markerstraße 42".into(),
        address_line2: String::new(),
        postal_code: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
        ..Prefill::default()
    };
    let res = f
        .client
        .put(f.cart_url(f.shop, cart, "/prefill"))
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Summary>().await.unwrap().ttl_seconds,
        30 * 86_400
    );

    // Straight from Redis: every key of the cart, no plaintext anywhere.
    let tag = cart::store::key_tag(f.shop, cart);
    let raw: Vec<u8> = redis::cmd("GET")
        .arg(format!("{tag}:prefill"))
        .query_async(&mut f.redis)
        .await
        .unwrap();
    assert!(raw.len() > 40);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{tag}:*"))
        .query_async(&mut f.redis)
        .await
        .unwrap();
    // The stored bytes themselves, by type (DUMP would compress them and hide plaintext).
    let mut everything = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut f.redis)
            .await
            .unwrap();
        let command = match kind.as_str() {
            "string" => redis::cmd("GET").arg(&key).clone(),
            "hash" => redis::cmd("HGETALL").arg(&key).clone(),
            "list" => redis::cmd("LRANGE").arg(&key).arg(0).arg(-1).clone(),
            "set" => redis::cmd("SMEMBERS").arg(&key).clone(),
            "zset" => redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).clone(),
            other => panic!("{key} is a {other}: read it here too"),
        };
        let values: redis::Value = command.query_async(&mut f.redis).await.unwrap();
        collect_bytes(&values, &mut everything);
    }
    let haystack = String::from_utf8_lossy(&everything).to_lowercase();
    // The reader sees stored bytes as they are: the line's variant id is there in clear.
    assert!(
        haystack.contains(&tea.to_string()),
        "the raw read missed the cart's lines"
    );
    for needle in [
        "marker",
        "prefillson",
        "example.org",
        "1234567",
        "berlin",
        "10115",
    ] {
        assert!(!haystack.contains(needle), "found {needle} in Redis");
    }

    let res = f
        .client
        .get(f.cart_url(f.shop, cart, "/prefill"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Prefill>().await.unwrap(), draft);
    assert!(f.view(cart).await.has_prefill);

    // The ciphertext is bound to its cart and shop: copied elsewhere, it does not open.
    let other_cart = CartId::random();
    let _: () = redis::cmd("SET")
        .arg(format!(
            "{}:prefill",
            cart::store::key_tag(f.shop, other_cart)
        ))
        .arg(&raw)
        .query_async(&mut f.redis)
        .await
        .unwrap();
    let res = f
        .client
        .get(f.cart_url(f.shop, other_cart, "/prefill"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // Bad fields are refused with a code.
    let res = f
        .client
        .put(f.cart_url(f.shop, cart, "/prefill"))
        .json(&json!({ "email": "not-an-email" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        code(&res.json().await.unwrap()),
        "cart.prefill_email_invalid"
    );

    // "Forget my details".
    let res = f
        .client
        .delete(f.cart_url(f.shop, cart, "/prefill"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let exists: i64 = redis::cmd("EXISTS")
        .arg(format!("{tag}:prefill"))
        .query_async(&mut f.redis)
        .await
        .unwrap();
    assert_eq!(exists, 0);
    assert!(!f.view(cart).await.has_prefill);
    assert_eq!(f.view(cart).await.item_count, 1);
}

#[tokio::test]
async fn redis_faults_answer_503_with_retry_after_and_recover_by_themselves() {
    let f = Fixture::with_redis(true).await;
    let tea = variant(&f.admin, f.shop, "Sencha", 800, 10).await;
    let cart = CartId::random();
    assert_eq!(f.add(cart, tea, 1).await.0, StatusCode::OK);

    f._gate.as_ref().unwrap().close().await;
    let started = std::time::Instant::now();
    let res = f
        .client
        .post(f.cart_url(f.shop, cart, "/lines"))
        .json(&json!({ "variant_id": tea.to_string(), "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
    assert_eq!(code(&res.json().await.unwrap()), "cart.unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let res = f
        .client
        .get(f.cart_url(f.shop, cart, "/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready = f
        .client
        .get(format!("{}/readyz", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    f._gate.as_ref().unwrap().reopen().await.unwrap();
    // The connection manager reconnects on its own; the first calls may still fail
    // while it does, so poll (bounded) rather than sleep.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let res = f
            .client
            .get(f.cart_url(f.shop, cart, "/summary"))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::OK {
            let summary: Summary = res.json().await.unwrap();
            assert_eq!(summary.item_count, 1, "the cart survived the outage");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no recovery");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(f.add(cart, tea, 1).await.0, StatusCode::OK);
}

#[tokio::test]
async fn o2_fields_the_shop_hides_are_dropped_when_posted_anyway() {
    let f = Fixture::new().await;
    let tea = variant(&f.admin, f.shop, "Sencha", 800, 10).await;
    let cart = CartId::random();
    f.add(cart, tea, 1).await;
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    sqlx::query(
        "update store_settings set checkout_fields = \
         '{\"name\": \"required\", \"email\": \"required\", \"phone\": \"hidden\", \"address\": \"hidden\"}'",
    )
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let posted = Prefill {
        name: "Ada".into(),
        email: "ada@example.org".into(),
        phone: "+49 30 1234567".into(),
        address_line1: "Hidden Street 1".into(),
        address_line2: String::new(),
        postal_code: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
        ..Prefill::default()
    };
    let res = f
        .client
        .put(f.cart_url(f.shop, cart, "/prefill"))
        .json(&posted)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kept: Prefill = f
        .client
        .get(f.cart_url(f.shop, cart, "/prefill"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        kept,
        Prefill {
            name: "Ada".into(),
            email: "ada@example.org".into(),
            ..Prefill::default()
        },
        "hidden fields are not kept"
    );
}

/// The cart's reads run as one statement outside any transaction (`cart_catalog`, which
/// scopes itself to the shop it names): it sees that shop's rows only, leaves no tenant
/// behind on the connection, cannot widen another shop's transaction, and no other
/// service may call it.
#[tokio::test]
async fn o21_the_carts_one_statement_read_sees_only_the_shop_it_names_and_leaves_no_scope() {
    let f = Fixture::new().await;
    let mine = variant(&f.admin, f.shop, "Sencha", 800, 10).await;
    let theirs = variant(&f.admin, f.other, "Matcha", 900, 10).await;
    // One connection: every statement below runs on the same session.
    let cart_db = TenantDb::new(f._db.pool_as("cart", 1).await.unwrap());
    let read = |shop: TenantId| {
        sqlx::query_scalar::<_, Option<Uuid>>("select id from cart_catalog($1, $2)")
            .bind(shop)
            .bind(vec![mine, theirs])
    };

    let seen = read(f.shop)
        .fetch_all(&cart_db.self_scoping())
        .await
        .unwrap();
    assert_eq!(seen, vec![Some(mine)]);
    let seen = read(f.other)
        .fetch_all(&cart_db.self_scoping())
        .await
        .unwrap();
    assert_eq!(seen, vec![Some(theirs)]);

    // Nothing stays in scope on the session: a plain read after the call sees no rows.
    let left: i64 = sqlx::query_scalar("select count(*) from variants")
        .fetch_one(&cart_db.self_scoping())
        .await
        .unwrap();
    assert_eq!(left, 0);

    // Inside a transaction scoped to the other shop it refuses, and that scope holds.
    let mut tx = cart_db.begin(f.other).await.unwrap();
    let err = read(f.shop).fetch_all(&mut tx).await.unwrap_err();
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("42501"),
        "{err}"
    );
    tx.rollback().await.unwrap();
    let mut tx = cart_db.begin(f.other).await.unwrap();
    assert_eq!(
        read(f.other).fetch_all(&mut tx).await.unwrap(),
        vec![Some(theirs)]
    );
    let visible: Vec<Uuid> = sqlx::query_scalar("select id from variants")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(visible, vec![theirs]);
    tx.commit().await.unwrap();

    // Only the cart service may call it.
    let storefront = TenantDb::new(f._db.pool_as("storefront", 1).await.unwrap());
    let err = read(f.shop)
        .fetch_all(&storefront.self_scoping())
        .await
        .unwrap_err();
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("42501"),
        "{err}"
    );
}
