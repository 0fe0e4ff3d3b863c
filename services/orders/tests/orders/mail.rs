//! Service mail from the outbox, delivered to the development SMTP server (maildev) and
//! read back from its inbox API: once, with retries while the relay is away, and without
//! the buyer's personal data in the merchant's notice.

use std::time::Duration;

use platform_testkit::TcpGate;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::{Fixture, lines, variant};

/// Messages the development mail server received for `to`.
pub async fn inbox(to: &str) -> Vec<Value> {
    let all: Vec<Value> = reqwest::Client::new()
        .get(format!("{}/email", platform_testkit::mail_api()))
        .send()
        .await
        .expect("maildev is running (cargo xtask test starts it)")
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|m| {
            m["to"]
                .as_array()
                .is_some_and(|t| t.iter().any(|a| a["address"] == to))
        })
        .collect()
}

pub async fn wait_for_mail(to: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got = inbox(to).await;
        if !got.is_empty() {
            return got;
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail for {to}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_contact(f: &Fixture, to: &str) {
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    sqlx::query("update store_settings set contact_email = $1")
        .bind(to)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_merchant_is_told_of_a_new_order_once_without_the_buyers_details() {
    let f = Fixture::build_with_mail(
        false,
        Duration::from_secs(3600),
        "storefront",
        Some(platform_testkit::smtp_url()),
    )
    .await;
    let to = format!("merchant-{}@alpine.example", Uuid::new_v4().simple());
    set_contact(&f, &to).await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    let placed = f.place(f.shop, "k", &body).await;
    assert_eq!(placed.status, StatusCode::CREATED);

    let mail = wait_for_mail(&to).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["subject"], "New order 1001");
    let text = mail[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Items: 2 items") && text.contains("Total: 242.90 EUR"),
        "{text}"
    );
    for private in ["Ada", "ada@example.org", "Berlin", "Hauptstra", "203.0.113"] {
        assert!(
            !mail[0].to_string().contains(private),
            "{private} in the merchant's notice"
        );
    }
    assert_eq!(mail[0]["from"][0]["name"], "alpine");
    // Sent means marked: more rounds send nothing again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(inbox(&to).await.len(), 1, "no duplicates");
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from outbox where sent_at is not null and last_error is null"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn mail_waits_and_retries_while_the_relay_is_away() {
    let relay = TcpGate::open_to("127.0.0.1:1025".parse().unwrap())
        .await
        .unwrap();
    relay.close().await;
    let f = Fixture::build_with_mail(
        false,
        Duration::from_secs(3600),
        "storefront",
        Some(format!("smtp://127.0.0.1:{}", relay.port())),
    )
    .await;
    let to = format!("merchant-{}@alpine.example", Uuid::new_v4().simple());
    set_contact(&f, &to).await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    assert_eq!(
        f.place(f.shop, "k", &body).await.status,
        StatusCode::CREATED
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while f
        .count(
            f.shop,
            "select count(*) from outbox where attempts > 0 and last_error = 'smtp: connection'",
        )
        .await
        == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed try recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(inbox(&to).await.is_empty());
    // The relay is back; the next try is due now rather than in 30 s.
    relay.reopen().await.unwrap();
    let orders = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.shop).await.unwrap();
    sqlx::query("update outbox set available_at = now()")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(wait_for_mail(&to).await.len(), 1);
}

#[tokio::test]
async fn a_mail_whose_buyer_details_do_not_open_does_not_hold_up_the_shops_other_mail() {
    let f = Fixture::build_with_mail(
        false,
        Duration::from_secs(3600),
        "storefront",
        Some(platform_testkit::smtp_url()),
    )
    .await;
    let to = format!("merchant-{}@alpine.example", Uuid::new_v4().simple());
    set_contact(&f, &to).await;
    // A confirmation queued for an order whose sealed contact is damaged, due before the
    // merchant's notice of the order placed next: it comes first in every round.
    let orders = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.shop).await.unwrap();
    sqlx::query(
        "insert into orders (tenant_id, id, number, reference, public_code, currency, \
             subtotal_minor, shipping_minor, tax_minor, total_minor, tax_rate_bp, tax_inclusive, \
             subject_id, contact_sealed, buyer_ip, hold_until) \
         values ($1, gen_random_uuid(), 9001, '9001', 'damagedDamagedDamaged0', 'EUR', 1, 0, 0, 1, 0, true, \
             gen_random_uuid(), '\\x0102'::bytea, '203.0.113.9', now() + interval '1 hour')",
    )
    .bind(f.shop)
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, order_id, available_at) \
         select $1, gen_random_uuid(), 'order_confirmation', id, now() - interval '1 hour' \
         from orders where number = 9001",
    )
    .bind(f.shop)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let first = f.order(f.shop, lines(&[(boots, 1)])).await;
    assert_eq!(
        f.place(f.shop, "a", &first).await.status,
        StatusCode::CREATED
    );

    let mail = wait_for_mail(&to).await;
    assert_eq!(mail[0]["subject"], "New order 1001");
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from outbox where kind = 'order_confirmation' and sent_at is not null \
             and last_error = 'the buyer''s details could not be opened'"
        )
        .await,
        1,
        "the damaged one is set aside with a note"
    );
}
