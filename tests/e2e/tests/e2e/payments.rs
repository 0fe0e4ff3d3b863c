//! Paying through the processor simulator (a third party with its own origin, CA and
//! key): the buyer types the card only on the processor's page (O3); every request to the
//! processor carries the shop's signature and every answer and webhook the processor's
//! (O12); the buyer's return and any number of webhooks capture once.

use std::time::{Duration, Instant};

use bytes::Bytes;
use platform_domain::StaffId;
use platform_msgsign::Keypair;
use platform_processor_api::{
    Card, Event, EventKind, KeySet, KeyStatus, Payment, PaymentStatus, PublishedKey, paths,
};
use platform_tenancy::TenantDb;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::Fixture;
use crate::checkout::{DETAILS, hidden, location, send, ships, variant};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A browser's view of the processor: it trusts the processor's own CA.
fn sim_client(f: &Fixture) -> reqwest::Client {
    let pem = std::fs::read_to_string(&f.paysim.ca).unwrap();
    platform_testkit::https_client(&pem)
        .unwrap()
        .build()
        .unwrap()
}

/// Puts two pairs of boots in a cart with cookies, fills the details and places the
/// order: returns the cart id and the processor's page the buyer was sent to.
pub(crate) async fn place(f: &Fixture) -> (String, String) {
    ships(f).await;
    let boots = variant(f, "SKU-trail-boots").await;
    let (_, headers, _) = send(
        f,
        reqwest::Method::POST,
        "/cart/add",
        None,
        &[("variant", &boots), ("quantity", "2")],
    )
    .await;
    let id = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .strip_prefix("cart=")
        .and_then(|r| r.split(';').next())
        .unwrap()
        .to_owned();
    send(
        f,
        reqwest::Method::POST,
        "/cart/details",
        Some(&id),
        &DETAILS,
    )
    .await;
    let (_, headers, review) = send(f, reqwest::Method::GET, "/checkout", Some(&id), &[]).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {}", f.paysim.url)),
        "the review page lets its form end on the processor's page: {csp}"
    );
    let form = [
        ("key", hidden(&review, "key")),
        ("expected_total", hidden(&review, "expected_total")),
        ("rate", hidden(&review, "rate")),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, headers, _) = send(
        f,
        reqwest::Method::POST,
        "/checkout/place",
        Some(&id),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    (id, location(&headers))
}

/// The return address in a processor page's "go back" link.
fn return_link(page: &str) -> String {
    let at = page
        .find("/return?payment=")
        .expect("a link back to the shop");
    let start = page[..at].rfind("href=\"").unwrap() + 6;
    page[start..].split('"').next().unwrap().to_owned()
}

/// Follows the processor page's "go back" link without paying; returns the shop path of
/// the order page the buyer lands on.
pub(crate) async fn back_without_paying(f: &Fixture, pay_page: &str) -> String {
    let page = sim_client(f)
        .get(pay_page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let back = return_link(&page);
    let res = f.client().get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn pay(f: &Fixture, pay_page: &str, number: &str) -> reqwest::Response {
    sim_client(f)
        .post(pay_page)
        .form(&[("number", number), ("exp", "12/39"), ("cvc", "123")])
        .send()
        .await
        .unwrap()
}

/// One value of one query, as the `orders` role under shop A's row-level security.
async fn scalar<T>(f: &Fixture, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    let orders = TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.a).await.unwrap();
    let v: T = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    v
}

/// Waits until the processor's webhooks (three copies of each event) were all answered.
async fn settle(f: &Fixture, events: i64) {
    let until = Instant::now() + Duration::from_secs(15);
    while scalar::<i64>(f, "select count(*) from processor_events").await < events {
        assert!(Instant::now() < until, "the webhooks did not arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the duplicate copies land too.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn o3_o12_a_buyer_pays_on_the_processors_page_once_however_the_news_arrives() {
    let f = Fixture::new().await;
    let (_, pay_page) = place(&f).await;
    assert!(
        pay_page.starts_with(&format!("{}/pay/", f.paysim.url)),
        "{pay_page}"
    );

    // Declined twice, then paid: each attempt is an event, delivered three times at once.
    let res = pay(&f, &pay_page, "4000 0000 0000 0002").await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(res.text().await.unwrap().contains("The card was declined"));
    let res = pay(&f, &pay_page, "4000000000009995").await;
    assert!(res.text().await.unwrap().contains("insufficient funds"));
    settle(&f, 2).await;
    let order_page = back_without_paying(&f, &pay_page).await;
    let (_, headers, page) = send(&f, reqwest::Method::GET, &order_page, None, &[]).await;
    assert!(
        page.contains("Waiting for payment") && page.contains("insufficient funds"),
        "{page}"
    );
    assert!(page.contains("Pay 44.70 EUR now"), "{page}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&f.paysim.url)
    );

    let res = pay(&f, &pay_page, "4242 4242 4242 4242").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()[LOCATION].to_str().unwrap().to_owned();
    // The buyer's return races the three webhooks of the capture.
    let res = f.client().get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let paid_page = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(paid_page.ends_with("?paid=1"), "{paid_page}");
    let (_, _, page) = send(&f, reqwest::Method::GET, &paid_page, None, &[]).await;
    assert!(
        page.contains("your payment was received")
            && page.contains("Paid, being prepared")
            && page.contains("Paid by visa ending in 4242"),
        "{page}"
    );
    assert!(!page.contains("Pay 44.70 EUR now"));
    settle(&f, 3).await;

    assert_eq!(
        scalar::<String>(&f, "select status from orders").await,
        "paid"
    );
    assert_eq!(
        scalar::<i64>(
            &f,
            "select count(*) from order_events where kind = 'payment_captured'"
        )
        .await,
        1,
        "one capture, whatever arrived first"
    );
    assert_eq!(
        scalar::<i64>(
            &f,
            "select count(*) from order_events where kind = 'payment_failed'"
        )
        .await,
        2,
        "each failed attempt once, though each was delivered three times"
    );
    assert_eq!(
        scalar::<i64>(
            &f,
            "select count(*) from outbox where kind = 'order_confirmation'"
        )
        .await,
        1
    );
    // O3: what is kept of the card, and nothing more.
    let kept: String = scalar(
        &f,
        "select concat_ws(' ', card_brand, card_last4, card_exp_month, card_exp_year, \
         processor_token is not null) from payments",
    )
    .await;
    assert_eq!(kept, "visa 4242 12 2039 t");
    let everything: String = scalar(
        &f,
        "select concat((select json_agg(p)::text from payments p), \
                       (select json_agg(e)::text from order_events e), \
                       (select json_agg(o)::text from orders o))",
    )
    .await;
    for pan in ["4242424242424242", "4000000000000002", "4000000000009995"] {
        assert!(!everything.contains(pan), "a card number was stored");
    }
}

/// Signs and sends a request to the processor as `key`'s holder at `at`.
async fn signed(
    f: &Fixture,
    method: http::Method,
    path: &str,
    body: Option<Value>,
    key: &Keypair,
    at: u64,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", f.paysim.url);
    let bytes = Bytes::from(body.map(|b| b.to_string()).unwrap_or_default());
    let request = http::Request::builder()
        .method(method.clone())
        .uri(&url)
        .header("content-type", "application/json")
        .body(bytes)
        .unwrap();
    let request = platform_msgsign::sign_request(request, key, at)
        .await
        .unwrap();
    send_raw(f, request).await
}

async fn send_raw(f: &Fixture, request: http::Request<Bytes>) -> (StatusCode, Value) {
    let (parts, body) = request.into_parts();
    let mut out = sim_client(f)
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (name, value) in &parts.headers {
        out = out.header(name, value);
    }
    let res = out.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn code(answer: &(StatusCode, Value)) -> (StatusCode, &str) {
    (answer.0, answer.1["code"].as_str().unwrap_or(""))
}

fn new_payment() -> Value {
    json!({
        "reference": Uuid::new_v4().to_string(),
        "amount_minor": 1000,
        "currency": "EUR",
        "description": "test",
        "return_url": "https://alpine.shop.localhost/orders/x/return",
        "expires_at": now() + 600,
    })
}

#[tokio::test]
async fn o12_the_processor_refuses_every_request_not_signed_right_by_a_live_key() {
    let f = Fixture::new().await;
    let partner = e2e::partner_key(&f.paysim.partner_seed_file).unwrap();
    let key = Keypair::generate("k_test_live");
    let revoked = Keypair::generate("k_test_revoked");
    let set = KeySet {
        webhook_url: "https://localhost:9/hooks".into(),
        keys: vec![
            PublishedKey {
                kid: key.key_id().into(),
                public: key.public().to_base64(),
                status: KeyStatus::Active,
            },
            PublishedKey {
                kid: revoked.key_id().into(),
                public: revoked.public().to_base64(),
                status: KeyStatus::Revoked,
            },
        ],
    };
    let publish = |by: &Keypair| {
        let body = serde_json::to_value(&set).unwrap();
        let by = Keypair::from_seed(by.key_id(), by.seed()).unwrap();
        let f = &f;
        async move {
            signed(
                f,
                http::Method::PUT,
                &paths::merchant_keys("m-test"),
                Some(body),
                &by,
                now(),
            )
            .await
        }
    };
    // Only the platform's partner key publishes key sets.
    assert_eq!(
        code(&publish(&key).await),
        (StatusCode::UNAUTHORIZED, "signature.unknown_key")
    );
    assert_eq!(publish(&partner).await.0, StatusCode::OK);

    // Signed right: accepted, and the answer verifies under the processor's key.
    let ok = signed(
        &f,
        http::Method::POST,
        paths::PAYMENTS,
        Some(new_payment()),
        &key,
        now(),
    )
    .await;
    assert_eq!(ok.0, StatusCode::CREATED, "{}", ok.1);

    let refusals = [
        (
            "unsigned",
            {
                let res = sim_client(&f)
                    .post(format!("{}{}", f.paysim.url, paths::PAYMENTS))
                    .json(&new_payment())
                    .send()
                    .await
                    .unwrap();
                (res.status(), res.json::<Value>().await.unwrap())
            },
            "signature.missing",
        ),
        (
            "expired",
            signed(
                &f,
                http::Method::POST,
                paths::PAYMENTS,
                Some(new_payment()),
                &key,
                now() - 120,
            )
            .await,
            "signature.expired",
        ),
        (
            "future-dated",
            signed(
                &f,
                http::Method::POST,
                paths::PAYMENTS,
                Some(new_payment()),
                &key,
                now() + 60,
            )
            .await,
            "signature.from_the_future",
        ),
        (
            "unknown key",
            signed(
                &f,
                http::Method::POST,
                paths::PAYMENTS,
                Some(new_payment()),
                &Keypair::generate("k_nobody"),
                now(),
            )
            .await,
            "signature.unknown_key",
        ),
        (
            "revoked key",
            signed(
                &f,
                http::Method::POST,
                paths::PAYMENTS,
                Some(new_payment()),
                &revoked,
                now(),
            )
            .await,
            "signature.revoked_key",
        ),
        (
            "another key under the live key's id",
            signed(
                &f,
                http::Method::POST,
                paths::PAYMENTS,
                Some(new_payment()),
                &Keypair::generate(key.key_id()),
                now(),
            )
            .await,
            "signature.invalid",
        ),
    ];
    for (what, answer, expected) in &refusals {
        assert_eq!(
            code(answer),
            (StatusCode::UNAUTHORIZED, *expected),
            "{what}: {}",
            answer.1
        );
    }

    // A body changed after signing, and a request signed for another origin.
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{}{}", f.paysim.url, paths::PAYMENTS))
        .body(Bytes::from(new_payment().to_string()))
        .unwrap();
    let signed_request = platform_msgsign::sign_request(request, &key, now())
        .await
        .unwrap();
    let (parts, _) = signed_request.into_parts();
    let tampered = http::Request::from_parts(parts, Bytes::from(new_payment().to_string()));
    assert_eq!(
        code(&send_raw(&f, tampered).await),
        (StatusCode::UNAUTHORIZED, "signature.digest_mismatch")
    );
    let elsewhere = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("https://pay.elsewhere.example{}", paths::PAYMENTS))
        .body(Bytes::from(new_payment().to_string()))
        .unwrap();
    let (mut parts, body) = platform_msgsign::sign_request(elsewhere, &key, now())
        .await
        .unwrap()
        .into_parts();
    parts.uri = format!("{}{}", f.paysim.url, paths::PAYMENTS)
        .parse()
        .unwrap();
    assert_eq!(
        code(&send_raw(&f, http::Request::from_parts(parts, body)).await),
        (StatusCode::UNAUTHORIZED, "signature.invalid")
    );

    // The same signed request twice: the second is a replay.
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{}{}", f.paysim.url, paths::PAYMENTS))
        .body(Bytes::from(new_payment().to_string()))
        .unwrap();
    let once = platform_msgsign::sign_request(request, &key, now())
        .await
        .unwrap();
    let (once, copy) = twice(once);
    assert_eq!(send_raw(&f, once).await.0, StatusCode::CREATED);
    assert_eq!(
        code(&send_raw(&f, copy).await),
        (StatusCode::UNAUTHORIZED, "signature.replayed")
    );

    // A key set published again cannot bring a revoked key back.
    let mut back = set.clone();
    back.keys[1].status = KeyStatus::Active;
    let body = serde_json::to_value(&back).unwrap();
    assert_eq!(
        signed(
            &f,
            http::Method::PUT,
            &paths::merchant_keys("m-test"),
            Some(body),
            &partner,
            now()
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        f.paysim.sim.key_status(revoked.key_id()),
        Some(KeyStatus::Revoked)
    );
}

/// The shop's signing key as orders keeps it, opened as the `orders` role with the
/// platform's KEK (the test signs with it to see what the processor accepts).
async fn shop_key(f: &Fixture, key_id: &str) -> Keypair {
    let orders = TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let vault = platform_vault::Vault::new(e2e::platform_kek());
    let mut tx = orders.begin(f.a).await.unwrap();
    let sealed: Vec<u8> =
        sqlx::query_scalar("select seed_sealed from signing_keys where key_id = $1")
            .bind(key_id)
            .fetch_one(&mut tx)
            .await
            .unwrap();
    let sealed = platform_vault::Sealed::from_bytes(sealed).unwrap();
    let seed = vault
        .open(&mut tx, "orders.signing_key", &sealed)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Keypair::from_seed(key_id, &seed).unwrap()
}

#[tokio::test]
async fn o12_keys_rotate_with_an_overlap_and_a_revoked_key_is_refused_at_once() {
    let f = Fixture::new().await;
    let (_, pay_page) = place(&f).await;
    let payment = format!("/v1/payments/{}", pay_page.rsplit('/').next().unwrap());
    let staff = StaffId::random();

    let keys = f.orders.signing_keys(f.a).await.unwrap();
    assert_eq!(keys.keys.len(), 1);
    let first = keys.keys[0].clone();
    assert_eq!(first.state, "signing");
    assert!(
        first.published_at.is_some(),
        "published before its first use"
    );
    let first_key = shop_key(&f, &first.key_id).await;
    let (status, body) = signed(&f, http::Method::GET, &payment, None, &first_key, now()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Rotation: the new key is at the processor before it signs; the old one overlaps.
    let keys = f
        .orders
        .rotate_key(f.a, &platform_orders_api::KeyAction { staff_id: staff })
        .await
        .unwrap();
    let new = keys
        .keys
        .iter()
        .find(|k| k.state == "signing")
        .unwrap()
        .clone();
    let old = keys.keys.iter().find(|k| k.key_id == first.key_id).unwrap();
    assert_eq!(old.state, "retiring");
    let overlap = old.retire_at.unwrap() - chrono::Utc::now();
    assert!(overlap > chrono::Duration::seconds(590) && overlap <= chrono::Duration::seconds(600));
    assert_eq!(
        f.paysim.sim.key_status(&new.key_id),
        Some(KeyStatus::Active)
    );
    assert_eq!(
        signed(&f, http::Method::GET, &payment, None, &first_key, now())
            .await
            .0,
        StatusCode::OK,
        "the old key still verifies during the overlap"
    );

    // Revocation: refused by the processor by the time the owner's call returns.
    let started = Instant::now();
    let keys = f
        .orders
        .revoke_key(
            f.a,
            &first.key_id,
            &platform_orders_api::KeyAction { staff_id: staff },
        )
        .await
        .unwrap();
    let (status, body) = signed(&f, http::Method::GET, &payment, None, &first_key, now()).await;
    let took = started.elapsed();
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("signature.revoked_key"))
    );
    assert!(took < Duration::from_secs(5), "revocation took {took:?}");
    assert_eq!(
        keys.keys
            .iter()
            .find(|k| k.key_id == first.key_id)
            .unwrap()
            .state,
        "revoked"
    );
    assert!(
        f.orders
            .revoke_key(
                f.a,
                &first.key_id,
                &platform_orders_api::KeyAction { staff_id: staff }
            )
            .await
            .is_err(),
        "a revoked key stays revoked"
    );

    // Revoking the key that signs: a new one replaces it and the buyer can still pay.
    let keys = f
        .orders
        .revoke_key(
            f.a,
            &new.key_id,
            &platform_orders_api::KeyAction { staff_id: staff },
        )
        .await
        .unwrap();
    let third = keys.keys.iter().find(|k| k.state == "signing").unwrap();
    assert_ne!(third.key_id, new.key_id);
    let order_page = back_without_paying(&f, &pay_page).await;
    let pay_path = order_page.replace("?placed=1", "").to_owned() + "/pay";
    let (status, headers, _) = send(&f, reqwest::Method::POST, &pay_path, None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&headers),
        pay_page,
        "the same payment, asked for with the new key"
    );
}

/// Signs a webhook as the processor (or as `kid`'s impostor) at `at`.
async fn webhook(url: &str, event: &Event, key: &Keypair, at: u64) -> http::Request<Bytes> {
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(url)
        .header("content-type", "application/json")
        .body(Bytes::from(serde_json::to_vec(event).unwrap()))
        .unwrap();
    platform_msgsign::sign_webhook(request, key, at)
        .await
        .unwrap()
}

async fn deliver(f: &Fixture, request: http::Request<Bytes>) -> (StatusCode, Value) {
    let (parts, body) = request.into_parts();
    let mut out = f
        .client()
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (name, value) in &parts.headers {
        out = out.header(name, value);
    }
    let res = out.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn o12_orders_accepts_only_fresh_webhooks_signed_by_the_processor_once_per_event() {
    let f = Fixture::new().await;
    let (_, pay_page) = place(&f).await;
    let hooks = f
        .paysim
        .sim
        .webhook_url(&f.a.to_string())
        .expect("published");
    let order: Uuid = scalar(&f, "select id from orders").await;
    let processor = Keypair::from_seed(e2e::PAYSIM_KEY_ID, &f.paysim.signing_seed).unwrap();
    let event = Event {
        id: "evt_forged_or_not".into(),
        kind: EventKind::PaymentCaptured,
        created: i64::try_from(now()).unwrap(),
        payment: Payment {
            id: pay_page.rsplit('/').next().unwrap().into(),
            merchant: f.a.to_string(),
            reference: order.to_string(),
            status: PaymentStatus::Captured,
            amount_minor: 4470,
            currency: "EUR".into(),
            refunded_minor: 0,
            pay_url: pay_page.clone(),
            card: Some(Card {
                brand: "visa".into(),
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2039,
                token: "tok_test".into(),
            }),
            last_failure: None,
        },
    };
    let unsigned = http::Request::builder()
        .method(http::Method::POST)
        .uri(&hooks)
        .body(Bytes::from(serde_json::to_vec(&event).unwrap()))
        .unwrap();
    let impostor = Keypair::generate(e2e::PAYSIM_KEY_ID);
    for (what, request) in [
        ("unsigned", unsigned),
        (
            "signed by an impostor",
            webhook(&hooks, &event, &impostor, now()).await,
        ),
        (
            "dated 400 s ahead",
            webhook(&hooks, &event, &processor, now() + 400).await,
        ),
        (
            "dated 400 s ago",
            webhook(&hooks, &event, &processor, now() - 400).await,
        ),
    ] {
        let (status, body) = deliver(&f, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["error"]["code"], "orders.webhook_refused", "{what}");
    }
    assert_eq!(
        scalar::<String>(&f, "select status from orders").await,
        "pending_payment"
    );

    let once = webhook(&hooks, &event, &processor, now()).await;
    let (once, copy) = twice(once);
    assert_eq!(deliver(&f, once).await.0, StatusCode::OK);
    assert_eq!(
        deliver(&f, copy).await.0,
        StatusCode::UNAUTHORIZED,
        "the same bytes again: a replay"
    );
    // The same event, freshly signed (a processor's retry), three times at once.
    let retries =
        futures_util::future::join_all((0..3).map(|_| async {
            deliver(&f, webhook(&hooks, &event, &processor, now()).await).await
        }))
        .await;
    assert!(retries.iter().all(|(s, _)| *s == StatusCode::OK));
    assert_eq!(
        scalar::<String>(&f, "select status from orders").await,
        "paid"
    );
    assert_eq!(
        scalar::<i64>(
            &f,
            "select count(*) from order_events where kind = 'payment_captured'"
        )
        .await,
        1
    );
}

/// A request and its exact copy (same bytes, same signature): a replay.
fn twice(request: http::Request<Bytes>) -> (http::Request<Bytes>, http::Request<Bytes>) {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    (request, copy)
}

#[tokio::test]
async fn o12_a_key_revoked_by_another_replica_is_dropped_at_the_processors_first_refusal() {
    let f = Fixture::new().await;
    let (_, pay_page) = place(&f).await;
    // A second orders process on the same database and processor: the console reached
    // that one to revoke the key the first one holds in memory.
    let ca = platform_web::devcert::DevCa::load_or_create(f._dir.path()).unwrap();
    let replica_dir = f._dir.path().join("replica");
    std::fs::create_dir_all(&replica_dir).unwrap();
    std::fs::copy(f._dir.path().join("ca.pem"), replica_dir.join("ca.pem")).unwrap();
    let replica = e2e::spawn_orders(
        &f.db,
        &ca,
        &replica_dir,
        e2e::OrdersWith {
            paysim: Some(&f.paysim),
            ..Default::default()
        },
    )
    .unwrap();
    let (cert, key) = ca.write_client_cert(&replica_dir, "tenant-admin").unwrap();
    let console = platform_orders_api::OrdersClient::new(
        &replica,
        platform_web::tls::client_config(&replica_dir.join("ca.pem"), Some((&cert, &key))).unwrap(),
    )
    .unwrap();
    let keys = console.signing_keys(f.a).await.unwrap();
    let old = keys
        .keys
        .iter()
        .find(|k| k.state == "signing")
        .unwrap()
        .key_id
        .clone();
    console
        .revoke_key(
            f.a,
            &old,
            &platform_orders_api::KeyAction {
                staff_id: StaffId::random(),
            },
        )
        .await
        .unwrap();
    assert_eq!(f.paysim.sim.key_status(&old), Some(KeyStatus::Revoked));

    // The first process still holds the old key: its next signed call is refused, it
    // reads the shop's keys again and the buyer never notices.
    let order_page = back_without_paying(&f, &pay_page).await;
    let pay_path = order_page.replace("?placed=1", "") + "/pay";
    let (status, headers, _) = send(&f, reqwest::Method::POST, &pay_path, None, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), pay_page);
}
