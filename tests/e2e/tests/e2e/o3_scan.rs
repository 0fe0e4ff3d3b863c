//! O3: after buyers paid with test cards (and tried to type card numbers into the shop),
//! no card number is anywhere the platform keeps data: a full dump of the database, every
//! Redis key of the shop, every log event and span field the services emitted (before
//! redaction, so a number that merely got masked would still be found), and the shop's
//! backup objects.

use std::time::Duration;

use platform_tenancy::TenantDb;
use redis::AsyncCommands;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::Fixture;
use crate::checkout::send;

/// The test cards typed, in the forms a scan must catch.
const PANS: [&str; 4] = [
    "4242424242424242",
    "4000000000000002",
    "4000000000009995",
    "5555555555554444",
];

fn spaced(pan: &str) -> String {
    pan.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_clean(place: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for pan in PANS {
        assert!(!text.contains(pan), "{pan} found in {place}");
        assert!(
            !text.contains(&spaced(pan)),
            "{pan} (spaced) found in {place}"
        );
    }
}

async fn pay(f: &Fixture, pay_page: &str, number: &str) -> reqwest::Response {
    let pem = std::fs::read_to_string(&f.paysim.ca).unwrap();
    platform_testkit::https_client(&pem)
        .unwrap()
        .build()
        .unwrap()
        .post(pay_page)
        .form(&[("number", number), ("exp", "11/37"), ("cvc", "321")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn o3_no_card_number_in_the_database_redis_logs_spans_or_backups_after_test_payments() {
    // The scan finds a number when there is one.
    assert!(
        std::panic::catch_unwind(|| assert_clean("a probe", b"x 4242 4242 4242 4242 y")).is_err()
    );
    assert!(
        std::panic::catch_unwind(|| assert_clean("a probe", b"{\"n\":\"5555555555554444\"}"))
            .is_err()
    );
    let raw = crate::raw_log();
    let f = Fixture::new().await;
    // A buyer pays after two declined cards; the card numbers go to the processor's page.
    let (_, pay_page) = crate::payments::place(&f).await;
    for number in [spaced(PANS[1]), PANS[2].to_owned()] {
        assert_eq!(
            pay(&f, &pay_page, &number).await.status(),
            StatusCode::PAYMENT_REQUIRED
        );
    }
    let res = pay(&f, &pay_page, &spaced(PANS[0])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        f.client().get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // Someone types a card number into the shop's own forms and search: refused.
    let (status, _, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/details",
        None,
        &[("name", PANS[3]), ("email", "x@example.org")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = send(
        &f,
        reqwest::Method::GET,
        &format!("/search?q={}", PANS[3]),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A second visitor keeps a cart with details, so Redis holds something to scan.
    let boots = crate::checkout::variant(&f, "SKU-trail-boots").await;
    let (_, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/add",
        None,
        &[("variant", &boots)],
    )
    .await;
    let cookie = headers["set-cookie"].to_str().unwrap();
    let id = cookie
        .strip_prefix("cart=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    send(
        &f,
        reqwest::Method::POST,
        "/cart/details",
        Some(&id),
        &crate::checkout::DETAILS,
    )
    .await;
    // Let the webhooks land.
    let orders = TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    for _ in 0..100 {
        let mut tx = orders.begin(f.a).await.unwrap();
        let n: i64 = sqlx::query_scalar("select count(*) from processor_events")
            .fetch_one(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        if n >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 1. The whole database, dumped.
    let admin = std::env::var(platform_testkit::ADMIN_URL_VAR)
        .unwrap_or_else(|_| platform_testkit::DEFAULT_ADMIN_URL.to_owned());
    let (server, _) = admin.rsplit_once('/').unwrap();
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", "--no-owner", "--dbname"])
        .arg(format!("{server}/{}", f.db.name()))
        .output()
        .expect("pg_dump (Debian's postgresql-client) is installed");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(
        text.contains("4242") && text.contains("visa"),
        "the dump holds the payment row"
    );
    assert_clean("the database dump", &dump.stdout);

    // 2. Every Redis key of the shop.
    let kept = redis_values(&f.a.to_string()).await;
    assert!(!kept.is_empty(), "the kept cart is in Redis");
    for (key, value) in kept {
        assert_clean(&format!("Redis key {key}"), key.as_bytes());
        assert_clean(&format!("Redis key {key}"), &value);
    }

    // 3. Every log event and span field, before redaction.
    let logged = raw.0.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&logged);
    assert!(
        text.contains("payment captured"),
        "the capture sees the services' events"
    );
    assert_clean("the services' log events and span fields", &logged);

    // 4. The shop's backup, as written to S3 (and verified: it decrypts to the rows the
    // dump above already scanned).
    let s3 = platform_testkit::s3_settings().unwrap();
    let store = backup::ObjectStore::new(&backup::S3Config {
        endpoint: Some(s3.endpoint),
        region: s3.region,
        bucket: "platform-test".to_owned(),
        access_key_id: s3.access_key_id,
        secret_access_key: s3.secret_access_key.into(),
        path_style: true,
    });
    store.ensure_bucket().await.unwrap();
    let backups = backup::Backups::new(
        TenantDb::new(f.db.pool_as("backup", 2).await.unwrap()),
        platform_vault::Vault::new(e2e::platform_kek()),
        store.clone(),
    );
    let manifest = backups.run(f.a).await.unwrap();
    backups.verify(f.a, &manifest.backup_id).await.unwrap();
    let objects = store.list(&format!("tenants/{}/", f.a)).await.unwrap();
    assert!(!objects.is_empty());
    for object in objects {
        let bytes = store.get(&object.key).await.unwrap().unwrap();
        assert_clean(&object.key, &bytes);
    }
}

/// Every Redis key whose name holds `tag` (a shop's id), with its value, whatever its type.
pub(crate) async fn redis_values(tag: &str) -> Vec<(String, Vec<u8>)> {
    let client = redis::Client::open(crate::REDIS_URL).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis.keys(format!("*{tag}*")).await.unwrap();
    let mut out = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .unwrap();
        let parts: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![redis.get(&key).await.unwrap()],
            "hash" => redis.hgetall(&key).await.unwrap(),
            "set" => redis.smembers(&key).await.unwrap(),
            "list" => redis.lrange(&key, 0, -1).await.unwrap(),
            "zset" => redis.zrange(&key, 0, -1).await.unwrap(),
            _ => Vec::new(),
        };
        out.push((key, parts.concat()));
    }
    out
}
