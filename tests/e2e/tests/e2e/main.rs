//! End to end: the storefront over real HTTPS, resolving shops by host name, as the
//! `storefront` role, with the cart service behind it and tenant-admin where a test
//! needs the console. Every service starts through its `Application::build`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod browser;
mod browser_checkout;
mod browser_privacy;
mod browser_processor;
mod browser_staff;
mod browser_walk;
mod carts;
mod checkout;
mod children;
mod closing;
pub(crate) mod merchant_orders;
mod newsletter;
mod o3_scan;
mod options;
mod payments;
mod pictures;
mod privacy_requests;
mod processor_access;
mod staff_roles;

use std::net::SocketAddr;

use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use serde_json::Value;
use storefront::AppState;
use uuid::Uuid;

struct Fixture {
    db: TestDb,
    admin: TenantDb,
    state: AppState,
    addr: SocketAddr,
    ca_pem: String,
    a: TenantId,
    b: TenantId,
    /// The payment processor's simulator (each webhook delivered three times at once).
    paysim: e2e::PaySim,
    /// The orders service as the console calls it (the `tenant-admin` certificate).
    orders: platform_orders_api::OrdersClient,
    _dir: tempfile::TempDir,
}

pub async fn create_shop(admin: &TenantDb, handle: &str, name: &str) -> TenantId {
    let id = TenantId::random();
    let mut tx = admin.begin(id).await.unwrap();
    sqlx::query(
        "insert into tenants (id, handle, display_name, host_names) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(handle)
    .bind(name)
    .bind(vec![format!("{handle}.shop.localhost")])
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into store_settings (tenant_id, currency, contact_email) values ($1, 'EUR', $2)",
    )
    .bind(id)
    .bind(format!("hello@{handle}.example"))
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

pub async fn add_product(
    admin: &TenantDb,
    tenant: TenantId,
    handle: &str,
    title: &str,
    status: &str,
    stock: i32,
) -> Uuid {
    let id = Uuid::new_v4();
    let mut tx = admin.begin(tenant).await.unwrap();
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status, featured) \
         values ($1, $2, $3, $4, $5, $6, true)",
    )
    .bind(tenant)
    .bind(id)
    .bind(handle)
    .bind(title)
    .bind(format!("All about the {title}."))
    .bind(status)
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock) \
         values ($1, $2, $3, $4, 'Default', 1990, 'EUR', $5)",
    )
    .bind(tenant)
    .bind(Uuid::new_v4())
    .bind(id)
    .bind(format!("SKU-{handle}"))
    .bind(stock)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn publish_policy(admin: &TenantDb, tenant: TenantId, body: &str, days_from_now: i64) {
    let mut tx = admin.begin(tenant).await.unwrap();
    let at = chrono::Utc::now() + chrono::Duration::days(days_from_now);
    sqlx::query(
        "insert into privacy_policies (tenant_id, id, version, body, status, effective_at, published_at) \
         select $1, $2, coalesce(max(version), 0) + 1, $3, 'published', $4, now() from privacy_policies where tenant_id = $1",
    )
    .bind(tenant)
    .bind(Uuid::new_v4())
    .bind(body)
    .bind(at)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The shared Redis of this machine and CI.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

impl Fixture {
    async fn new() -> Fixture {
        Self::with_redis(REDIS_URL).await
    }

    async fn with_redis(redis_url: &str) -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = TestDb::new().await.unwrap();
        let admin = TenantDb::new(db.pool_as("tenant_admin", 4).await.unwrap());
        let a = create_shop(&admin, "alpine", "Alpine Outfitters").await;
        let b = create_shop(&admin, "bamboo", "Bamboo Tea House").await;
        add_product(&admin, a, "trail-boots", "Trail Boots", "active", 4).await;
        add_product(&admin, a, "rain-shell", "Rain Shell", "active", 0).await;
        add_product(&admin, a, "prototype-tent", "Prototype Tent", "draft", 1).await;
        add_product(
            &admin,
            b,
            "jasmine-green",
            "Jasmine Green Tea",
            "active",
            20,
        )
        .await;
        add_product(&admin, b, "secret-blend", "Secret Blend", "active", 5).await;
        publish_policy(&admin, a, "Alpine keeps your data for orders only.", -1).await;
        publish_policy(&admin, b, "Bamboo never shares your data.", -1).await;

        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        let cart = e2e::spawn_cart(&db, &ca, dir.path(), redis_url).unwrap();
        let paysim = e2e::spawn_paysim(dir.path(), 3).unwrap();
        let orders_url = e2e::spawn_orders(
            &db,
            &ca,
            dir.path(),
            e2e::OrdersWith {
                paysim: Some(&paysim),
                ..Default::default()
            },
        )
        .unwrap();
        let (port, state) =
            e2e::spawn_storefront(&db, &ca, dir.path(), &cart, &orders_url, Some(&paysim.url))
                .unwrap();
        let (cert, key) = ca.write_client_cert(dir.path(), "tenant-admin").unwrap();
        let orders = platform_orders_api::OrdersClient::new(
            &orders_url,
            platform_web::tls::client_config(&dir.path().join("ca.pem"), Some((&cert, &key)))
                .unwrap(),
        )
        .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Fixture {
            db,
            admin,
            state,
            addr,
            ca_pem: ca.cert_pem().to_owned(),
            a,
            b,
            paysim,
            orders,
            _dir: dir,
        }
    }

    fn client(&self) -> reqwest::Client {
        let mut b = platform_testkit::https_client(&self.ca_pem).unwrap();
        for host in [
            "alpine.shop.localhost",
            "bamboo.shop.localhost",
            "nobody.shop.localhost",
            "renamed.shop.localhost",
        ] {
            b = b.resolve(host, self.addr);
        }
        b.build().unwrap()
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }

    async fn get(&self, host: &str, path: &str) -> (StatusCode, String) {
        let res = self
            .client()
            .get(self.url(host, path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn json(&self, host: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .client()
            .get(self.url(host, path))
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn o20_every_page_renders_and_links_the_privacy_policy() {
    let f = Fixture::new().await;
    for path in [
        "/",
        "/products",
        "/products/trail-boots",
        "/search?q=boots",
        "/collections",
        "/policies/privacy",
    ] {
        let (status, page) = f.get("alpine.shop.localhost", path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.contains("href=\"/collections\">Collections</a>"),
            "{path}: the menu links the collections"
        );
        assert!(
            page.contains("href=\"/policies/privacy\""),
            "{path} lacks the privacy link"
        );
        assert!(
            page.contains("<html lang=\"en\">") && page.contains("<main id=\"main\">"),
            "{path}"
        );
        assert!(page.contains("Alpine Outfitters"));
    }
    let (_, home) = f.get("alpine.shop.localhost", "/").await;
    assert!(home.contains("Trail Boots") && home.contains("19.90 EUR"));
    // Every picture has alt text (pictures themselves: pictures.rs, browser.rs).
    assert!(
        home.split("<img").skip(1).all(|tag| tag
            .split('>')
            .next()
            .is_some_and(|attrs| attrs.contains(" alt="))),
        "images have alt text"
    );
    let (_, product) = f.get("alpine.shop.localhost", "/products/rain-shell").await;
    assert!(product.contains("Sold out"));
    let (_, policy) = f.get("alpine.shop.localhost", "/policies/privacy").await;
    assert!(policy.contains("Alpine keeps your data for orders only."));
    assert!(!policy.contains("Bamboo"));
    assert!(!policy.contains("This policy changes on"));

    // A version published to take effect in 30 days is announced, and does not apply yet.
    publish_policy(&f.admin, f.a, "Alpine will also send a newsletter.", 30).await;
    let in_30_days = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%-d %B %Y")
        .to_string();
    // The cached page gives way once the database's change notification arrives.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let policy = loop {
        let (_, policy) = f.get("alpine.shop.localhost", "/policies/privacy").await;
        if policy.contains("id=\"upcoming\"") || std::time::Instant::now() > deadline {
            break policy;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let (current, upcoming) = policy
        .split_once("id=\"upcoming\"")
        .expect("an upcoming section");
    assert!(current.contains(&format!("This policy changes on {in_30_days}")));
    assert!(current.contains("Version 1, in effect since"));
    assert!(current.contains("Alpine keeps your data for orders only."));
    assert!(
        !current.contains("newsletter"),
        "the new text applies early"
    );
    assert!(upcoming.contains("Upcoming version 2"));
    assert!(upcoming.contains("Alpine will also send a newsletter."));
}

#[tokio::test]
async fn unknown_hosts_get_a_bare_404_and_suspended_shops_a_503() {
    let f = Fixture::new().await;
    let (status, body) = f.get("nobody.shop.localhost", "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for name in ["Alpine", "Bamboo", "alpine", "bamboo"] {
        assert!(!body.contains(name), "the 404 reveals {name}");
    }
    // Served and cached first, so the suspension has to reach the storefront by the
    // database's notification, not by a test's hand.
    assert_eq!(f.get("bamboo.shop.localhost", "/").await.0, StatusCode::OK);
    let mut tx = f.admin.platform().await.unwrap();
    sqlx::query("update tenants set status = 'suspended' where id = $1")
        .bind(f.b)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let (status, page) = loop {
        let (status, page) = f.get("bamboo.shop.localhost", "/").await;
        if status != StatusCode::OK || std::time::Instant::now() > deadline {
            break (status, page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("temporarily unavailable"));
    assert_eq!(f.get("alpine.shop.localhost", "/").await.0, StatusCode::OK);
}

#[tokio::test]
async fn o21_another_shops_products_collections_and_drafts_answer_404() {
    let f = Fixture::new().await;
    let mut tx = f.admin.begin(f.b).await.unwrap();
    let cid = Uuid::new_v4();
    sqlx::query(
        "insert into collections (tenant_id, id, handle, title) values ($1, $2, 'teas', 'Teas')",
    )
    .bind(f.b)
    .bind(cid)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for path in [
        "/products/jasmine-green",
        "/products/secret-blend",
        "/collections/teas",
        "/products/prototype-tent",
    ] {
        assert_eq!(
            f.get("alpine.shop.localhost", path).await.0,
            StatusCode::NOT_FOUND,
            "HTML {path}"
        );
        let api = format!("/api/v1{path}");
        let (status, body) = f.json("alpine.shop.localhost", &api).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "JSON {api}");
        assert!(
            body["error"]["code"]
                .as_str()
                .unwrap()
                .ends_with("not_found")
        );
    }
    // B's data is there for B.
    assert_eq!(
        f.get("bamboo.shop.localhost", "/collections/teas").await.0,
        StatusCode::OK
    );
    // Each shop's collections page lists its own only.
    assert!(
        f.get("bamboo.shop.localhost", "/collections")
            .await
            .1
            .contains("href=\"/collections/teas\">Teas</a>")
    );
    assert!(
        !f.get("alpine.shop.localhost", "/collections")
            .await
            .1
            .contains("Teas")
    );
    let (_, results) = f
        .json("alpine.shop.localhost", "/api/v1/search?q=jasmine")
        .await;
    assert_eq!(results["products"], serde_json::json!([]));
    let (_, results) = f
        .json("bamboo.shop.localhost", "/api/v1/search?q=jasmine")
        .await;
    assert_eq!(results["products"][0]["handle"], "jasmine-green");
    let (_, list) = f.json("alpine.shop.localhost", "/api/v1/products").await;
    let handles: Vec<&str> = list["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles.len(), 2);
    assert!(
        handles.contains(&"trail-boots") && handles.contains(&"rain-shell"),
        "{handles:?}"
    );
}

#[tokio::test]
async fn product_lists_paginate_by_keyset_without_gaps_or_repeats() {
    let f = Fixture::new().await;
    for i in 0..30 {
        add_product(
            &f.admin,
            f.a,
            &format!("item-{i:02}"),
            &format!("Item {i:02}"),
            "active",
            1,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/products".to_owned();
    loop {
        let (status, page) = f.json("alpine.shop.localhost", &path).await;
        assert_eq!(status, StatusCode::OK);
        let items = page["products"].as_array().unwrap();
        assert!(items.len() <= 24);
        seen.extend(
            items
                .iter()
                .map(|p| p["handle"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/products?after={next}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 32);
    assert_eq!(unique.len(), 32);
    let (status, body) = f
        .json("alpine.shop.localhost", "/api/v1/products?after=garbage")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "request.invalid_cursor");
    let (_, html) = f.get("alpine.shop.localhost", "/products").await;
    assert!(html.contains("rel=\"next\""));
}

#[tokio::test]
async fn pages_carry_etags_and_answer_conditional_requests_with_304() {
    let f = Fixture::new().await;
    let c = f.client();
    let res = c
        .get(f.url("alpine.shop.localhost", "/products/trail-boots"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let res = c
        .get(f.url("alpine.shop.localhost", "/products/trail-boots"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.text().await.unwrap().is_empty());
    // A change to the product reaches the page (the cached copy is dropped by the
    // catalog_changed notification) and changes the tag.
    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query("update products set title = 'Trail Boots II' where handle = 'trail-boots'")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let res = c
            .get(f.url("alpine.shop.localhost", "/products/trail-boots"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::OK {
            assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
            assert!(res.text().await.unwrap().contains("Trail Boots II"));
            break;
        }
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(
            std::time::Instant::now() < deadline,
            "the cached page was never invalidated"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn host_changes_reach_the_cache_without_a_restart() {
    let f = Fixture::new().await;
    assert_eq!(f.get("alpine.shop.localhost", "/").await.0, StatusCode::OK);
    assert_eq!(
        f.get("renamed.shop.localhost", "/").await.0,
        StatusCode::NOT_FOUND
    );
    let mut tx = f.admin.platform().await.unwrap();
    sqlx::query("update tenants set host_names = '{renamed.shop.localhost}' where id = $1")
        .bind(f.a)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The notification empties the cache; poll briefly for it to arrive.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let old = f.get("alpine.shop.localhost", "/").await.0;
        let new = f.get("renamed.shop.localhost", "/").await.0;
        if old == StatusCode::NOT_FOUND && new == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cache not invalidated: old {old}, new {new}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn o23_views_are_counted_per_product_per_day_only() {
    let f = Fixture::new().await;
    for _ in 0..3 {
        assert_eq!(
            f.get("alpine.shop.localhost", "/products/trail-boots")
                .await
                .0,
            StatusCode::OK
        );
    }
    f.json("alpine.shop.localhost", "/api/v1/products/trail-boots")
        .await;
    f.state.views.flush(&f.state.db).await;
    let mut tx = f.admin.begin(f.a).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select p.handle, c.views from product_view_counts c join products p on p.tenant_id = c.tenant_id and p.id = c.product_id",
    )
    .fetch_all(&mut tx)
    .await
    .unwrap();
    assert_eq!(rows, vec![("trail-boots".to_owned(), 4)]);
    // The table cannot hold anything about a visitor: these are all its columns.
    let owner = f.db.owner_pool().await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "select column_name::text from information_schema.columns where table_name = 'product_view_counts' order by ordinal_position",
    )
    .fetch_all(&owner)
    .await
    .unwrap();
    assert_eq!(columns, ["tenant_id", "product_id", "day", "views"]);
}

#[tokio::test]
async fn the_json_api_is_described_by_an_openapi_document() {
    let f = Fixture::new().await;
    let (status, doc) = f
        .json("alpine.shop.localhost", "/api/v1/openapi.json")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    for path in [
        "/api/v1/products",
        "/api/v1/products/{handle}",
        "/api/v1/search",
        "/api/v1/collections/{handle}",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let (status, product) = f
        .json("alpine.shop.localhost", "/api/v1/products/trail-boots")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(product["variants"][0]["price_minor"], 1990);
    assert_eq!(product["variants"][0]["available"], true);
    let (status, body) = f.json("alpine.shop.localhost", "/api/v1/search?q=").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "search.empty");
    let _ = f.b;

    // Every documented operation is routed (the document is generated from the routes,
    // so none can be routed without being documented).
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(
            item.get("get").is_some(),
            "{path}: the storefront API only reads"
        );
        let concrete = path.replace("{handle}", "no-such-handle");
        let (status, body) = f.json("alpine.shop.localhost", &concrete).await;
        assert_ne!(
            body["error"]["code"], "route.not_found",
            "{path} is documented but not routed"
        );
        assert!(!status.is_server_error(), "{path}: {status}");
    }
}

#[tokio::test]
async fn search_finds_words_by_their_start_and_other_forms_and_keeps_the_query() {
    let f = Fixture::new().await;
    let handles = |v: &Value| -> Vec<String> {
        v["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["handle"].as_str().unwrap().to_owned())
            .collect()
    };
    for q in ["boot", "boots", "Boot", "tra", "trail boots", "TRAIL  b"] {
        let (status, found) = f
            .json("alpine.shop.localhost", &format!("/api/v1/search?q={q}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(handles(&found), ["trail-boots"], "{q}");
    }
    // Drafts and other shops stay out; operators are only text.
    for q in [
        "prototype",
        "secret",
        "boot%20%7C%20shell",
        "b%3A*%20%26%20!x",
    ] {
        let (status, found) = f
            .json("alpine.shop.localhost", &format!("/api/v1/search?q={q}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(handles(&found).is_empty(), "{q}: {found}");
    }
    let (_, page) = f.get("alpine.shop.localhost", "/search?q=boot").await;
    assert!(
        page.contains("value=\"boot\"") && page.contains("Trail Boots"),
        "{page}"
    );
}

/// A search the cache has not seen reads only the products the shop's word index says may
/// match: it must find exactly what the full filter finds (the same products, drafts and
/// other shops still out), for stems, stop words, digits and other scripts, and a catalog
/// change must reach the index.
#[tokio::test]
async fn search_through_the_word_index_finds_what_the_full_filter_finds() {
    let f = Fixture::new().await;
    let products = [
        (
            "running-shoes",
            "Running Shoes",
            "Light shoes for the stories of long runs.",
        ),
        (
            "happy-socks",
            "Happy Socks 17",
            "Wool socks; sizes 170 to 179.",
        ),
        (
            "cafe-creme",
            "Café Crème",
            "Ünïcode beans, größe egal, The best.",
        ),
        ("the-the", "The The", "Stop words and nothing else."),
        (
            "runner-jacket",
            "Runner Jacket",
            "Rain-proof shell for running.",
        ),
    ];
    let mut tx = f.admin.begin(f.a).await.unwrap();
    for (handle, title, description) in products {
        sqlx::query(
            "insert into products (tenant_id, id, handle, title, description, status) \
             values ($1, gen_random_uuid(), $2, $3, $4, 'active')",
        )
        .bind(f.a)
        .bind(handle)
        .bind(title)
        .bind(description)
        .execute(&mut tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // Another shop's and a draft's words never come back.
    add_product(
        &f.admin,
        f.b,
        "running-bamboo",
        "Running Bamboo",
        "active",
        1,
    )
    .await;
    add_product(&f.admin, f.a, "running-draft", "Running Draft", "draft", 1).await;

    let handles = |v: &Value| -> Vec<String> {
        let mut h: Vec<String> = v["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["handle"].as_str().unwrap().to_owned())
            .collect();
        h.sort();
        h
    };
    let queries = [
        "run",
        "runs",
        "running",
        "runner",
        "stories",
        "story",
        "happy",
        "happi",
        "17",
        "1",
        "170",
        "socks 17",
        "the",
        "the the",
        "the socks",
        "café",
        "CAFÉ crème",
        "ünï",
        "größe",
        "rain proof",
        "proof",
        "x",
        "boot",
        "trail boots",
        "a",
        "shoe long",
    ];
    // Twice: first with the index read on the way, then from the index in memory.
    for round in 0..2 {
        for q in queries {
            let words: Vec<String> = q
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| format!("{}:*", w.to_lowercase()))
                .collect();
            let mut tx = f.state.db.begin(f.a).await.unwrap();
            let mut expected: Vec<String> = sqlx::query_scalar(
                "select handle from product_cards where tenant_id = $1 \
                   and search @@ (to_tsquery('simple', $2) || to_tsquery('english', $2))",
            )
            .bind(f.a)
            .bind(words.join(" & "))
            .fetch_all(&mut tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            expected.sort();
            let (status, found) = f
                .json(
                    "alpine.shop.localhost",
                    &format!("/api/v1/search?q={}", q.replace(' ', "+")),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{q}: {found}");
            assert_eq!(handles(&found), expected, "round {round}: {q}");
        }
    }
    // A product added later is found once its notification has reached the index.
    let (_, found) = f
        .json("alpine.shop.localhost", "/api/v1/search?q=quokka")
        .await;
    assert!(handles(&found).is_empty(), "{found}");
    add_product(&f.admin, f.a, "quokka", "Quokka Plush", "active", 1).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, found) = f
            .json("alpine.shop.localhost", "/api/v1/search?q=quokk")
            .await;
        if handles(&found) == ["quokka"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the index never learnt the new product: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_shop_shows_its_own_colour_and_banner() {
    let f = Fixture::new().await;
    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query(
        "update store_settings set accent_color = '#1d4ed8', banner_title = 'Gear for long days', \
         banner_text = 'Boots that last.'",
    )
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (status, css) = f.get("alpine.shop.localhost", "/assets/look.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("--accent: #1d4ed8"), "{css}");
    let (_, other) = f.get("bamboo.shop.localhost", "/assets/look.css").await;
    assert!(other.contains("--accent: #0f766e"), "{other}");
    let (_, home) = f.get("alpine.shop.localhost", "/").await;
    assert!(
        home.contains("href=\"/assets/look.css\"")
            && home.contains("Gear for long days")
            && home.contains("Boots that last."),
        "{home}"
    );
    let (_, home) = f.get("bamboo.shop.localhost", "/").await;
    assert!(!home.contains("Gear for long days") && home.contains("Welcome to"));
}

#[tokio::test]
async fn descriptions_show_their_paragraphs_and_lines_however_they_were_stored() {
    let f = Fixture::new().await;
    let id = add_product(&f.admin, f.a, "prose-boots", "Prose Boots", "active", 3).await;
    let mut tx = f.admin.begin(f.a).await.unwrap();
    // Stored before text was normalised: CRLF from a browser, markup typed as text.
    sqlx::query("update products set description = $2 where id = $1")
        .bind(id)
        .bind("Warm and dry.\r\nFor <b>every</b> trail.\r\n\r\n\r\nCare: brush off mud.")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, page) = f
        .get("alpine.shop.localhost", "/products/prose-boots")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "<p>Warm and dry.<br>For &lt;b&gt;every&lt;/b&gt; trail.</p><p>Care: brush off mud.</p>"
        ),
        "{page}"
    );
}

#[tokio::test]
async fn errors_show_in_the_shops_own_layout_and_unknown_hosts_get_a_bare_page() {
    let f = Fixture::new().await;
    let (status, page) = f
        .get("alpine.shop.localhost", "/products/no-such-thing")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("Alpine Outfitters"),
        "the shop's layout: {page}"
    );
    assert!(page.contains("href=\"/policies/privacy\""));
    assert!(page.contains("This product does not exist"));
    // An address that was never a page: the same layout, a way back.
    let (status, page) = f.get("alpine.shop.localhost", "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("Alpine Outfitters") && page.contains("href=\"/\""),
        "the shop's layout: {page}"
    );
    let (status, page) = f
        .get("nobody.shop.localhost", "/products/no-such-thing")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Alpine") && !page.contains("policies/privacy"));
}

#[tokio::test]
async fn nul_bytes_in_addresses_answer_a_coded_400() {
    let f = Fixture::new().await;
    for path in [
        "/products/%00",
        "/collections/%00",
        "/search?q=%00",
        "/api/v1/products/%00",
        "/api/v1/collections/%00",
        "/api/v1/search?q=%00",
        "/products/a%01b",
    ] {
        let (status, body) = f.json("alpine.shop.localhost", path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["error"]["code"], "request.control_character", "{path}");
    }
}

#[tokio::test]
async fn a_large_but_valid_catalog_is_served_whole() {
    let f = Fixture::new().await;
    // 30 products at the documented maximum description (20,000 characters), each of
    // four bytes: pages of 2 MB and more, beyond both the page cache and the ETag buffer.
    let description = "𝄞".repeat(20_000);
    let mut tx = f.admin.begin(f.b).await.unwrap();
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status) \
         select $1, gen_random_uuid(), 'big-' || g, 'Big Tea ' || g, $2, 'active' \
         from generate_series(1, 30) g",
    )
    .bind(f.b)
    .bind(&description)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for path in [
        "/api/v1/products",
        "/api/v1/search?q=big",
        "/products",
        "/search?q=big",
    ] {
        let res = f
            .client()
            .get(f.url("bamboo.shop.localhost", path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let body = res.bytes().await.unwrap();
        assert!(!body.is_empty(), "{path}");
    }
    let (_, page) = f
        .json("bamboo.shop.localhost", "/api/v1/search?q=big")
        .await;
    assert_eq!(page["products"].as_array().unwrap().len(), 30);
}

/// What the services of this test binary log, as they would print it: one global
/// subscriber (a per-thread one misses events whose callsites other threads cached).
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn global_log() -> &'static Capture {
    &logs().0
}

/// Every event and span field the services of this binary emit, before the redaction
/// layer: what reached a log call at all (O3 scans it).
fn raw_log() -> &'static Capture {
    &logs().1
}

fn logs() -> &'static (Capture, Capture) {
    use tracing_subscriber::layer::SubscriberExt;
    static LOG: std::sync::OnceLock<(Capture, Capture)> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let (capture, raw) = (Capture::default(), Capture::default());
        let (sink, raw_sink) = (capture.clone(), raw.clone());
        let subscriber = tracing_subscriber::registry()
            .with(platform_telemetry::json_layer(move || sink.clone()))
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(move || raw_sink.clone()),
            );
        tracing::subscriber::set_global_default(subscriber).unwrap();
        (capture, raw)
    })
}

/// O5: the access log records the visitor's network (IPv4 /24), never their address.
#[tokio::test]
async fn o5_the_access_log_keeps_the_visitors_network_never_their_address() {
    let log = global_log();
    let f = Fixture::new().await;
    let visitor = platform_testkit::https_client(&f.ca_pem)
        .unwrap()
        .resolve("alpine.shop.localhost", f.addr)
        .local_address(std::net::IpAddr::from([127, 0, 0, 77]))
        .build()
        .unwrap();
    let res = visitor
        .get(f.url("alpine.shop.localhost", "/products/trail-boots"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let out = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("\"target\":\"access\"") && l.contains(&request_id))
        .unwrap_or_else(|| panic!("no access log line for {request_id}"));
    let entry: Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["fields"]["client_network"], "127.0.0.0", "{line}");
    assert_eq!(entry["fields"]["route"], "/products/{handle}", "{line}");
    assert!(!out.contains("127.0.0.77"), "the full address was logged");
}

/// O23: browsing sets no cookie, on pages or the JSON API; only putting something in
/// the cart does.
#[tokio::test]
async fn o23_browsing_sets_no_cookie() {
    let f = Fixture::new().await;
    let client = f.client();
    for path in [
        "/",
        "/products",
        "/products/trail-boots",
        "/products/no-such-thing",
        "/search?q=boots",
        "/policies/privacy",
        "/cart",
        "/api/v1/products",
        "/api/v1/products/trail-boots",
        "/api/v1/search?q=boots",
        "/api/v1/openapi.json",
    ] {
        for accept in ["text/html", "application/json"] {
            let res = client
                .get(f.url("alpine.shop.localhost", path))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert!(
                res.headers().get("set-cookie").is_none(),
                "{path} ({accept}) set a cookie: {:?}",
                res.headers().get("set-cookie")
            );
        }
    }
}
