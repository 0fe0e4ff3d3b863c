//! Placement under concurrency and faults: one key makes one order, stock never goes
//! below zero, and an answered order survives a database cut.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::{Fixture, lines, variant};

#[tokio::test]
async fn fifty_concurrent_checkouts_with_one_key_make_exactly_one_order() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 100).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let answers = join_all((0..50).map(|_| f.place(f.shop, "double-click", &body))).await;
    let created: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty());
    for a in &answers {
        assert!(
            a.status == StatusCode::CREATED
                || (a.status == StatusCode::CONFLICT && a.code() == "orders.request_in_flight"),
            "{} {}",
            a.status,
            a.body
        );
    }
    let id = &created[0].body["order_id"];
    assert!(
        created.iter().all(|a| &a.body["order_id"] == id),
        "every 201 names the same order"
    );
    assert_eq!(f.count(f.shop, "select count(*) from orders").await, 1);
    assert_eq!(f.stock(f.shop, boots).await, 99);
}

#[tokio::test]
async fn fifty_concurrent_checkouts_for_ten_in_stock_make_exactly_ten_orders() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 10).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let answers = join_all((0..50).map(|i| {
        let key = format!("buyer-{i}");
        let body = body.clone();
        let f = &f;
        async move { f.place(f.shop, &key, &body).await }
    }))
    .await;
    let created = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    let sold_out = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT && a.code() == "orders.insufficient_stock")
        .count();
    assert_eq!(
        (created, sold_out),
        (10, 40),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(f.count(f.shop, "select count(*) from orders").await, 10);
    assert_eq!(f.stock(f.shop, boots).await, 0);
    let numbers = f
        .count(
            f.shop,
            "select count(distinct number) from orders where number between 1001 and 1010",
        )
        .await;
    assert_eq!(numbers, 10, "numbers run on without gaps or repeats");
}

#[tokio::test]
async fn every_order_answered_2xx_survives_a_database_cut_and_none_exists_twice() {
    let f = Fixture::build(true, Duration::from_secs(3600), "storefront").await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 1000).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let gate = f.gate.as_ref().unwrap();

    let burst = join_all((0..40).map(|i| {
        let key = format!("burst-{i}");
        let body = body.clone();
        let f = &f;
        async move { (key.clone(), f.place(f.shop, &key, &body).await) }
    }));
    let cut = async {
        tokio::time::sleep(Duration::from_millis(40)).await;
        gate.close().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        gate.reopen().await.unwrap();
    };
    let (answers, ()) = tokio::join!(burst, cut);
    let answered: Vec<_> = answers
        .iter()
        .filter(|(_, a)| a.status == StatusCode::CREATED)
        .map(|(_, a)| a.body["order_id"].as_str().unwrap().to_owned())
        .collect();
    let failed = answers
        .iter()
        .filter(|(_, a)| a.status.is_server_error())
        .count();
    eprintln!(
        "burst: {} answered 201, {failed} failed during the cut",
        answered.len()
    );
    for (_, a) in &answers {
        assert!(
            a.status == StatusCode::CREATED
                || a.status.is_server_error()
                || a.status == StatusCode::CONFLICT,
            "{} {}",
            a.status,
            a.body
        );
    }

    // Buyers whose answer was lost retry with their key; leases of requests cut mid-way
    // run out after 30 s, so move them on rather than wait.
    let orders = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.shop).await.unwrap();
    sqlx::query("update idempotency_keys set lease_until = now() - interval '1 second' where state = 'in_flight'")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for (key, a) in &answers {
        let retry = f.place(f.shop, key, &body).await;
        assert_eq!(retry.status, StatusCode::CREATED, "{key}: {}", retry.body);
        if a.status == StatusCode::CREATED {
            assert_eq!(
                retry.body, a.body,
                "a 2xx answer is replayed, not placed again"
            );
        }
    }

    let mut tx = orders.begin(f.shop).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar("select id::text from orders")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for id in &answered {
        assert!(
            ids.contains(id),
            "order {id} was answered 201 and must exist"
        );
    }
    assert_eq!(ids.len(), 40, "one order per key, none twice");
    assert_eq!(f.stock(f.shop, boots).await, 960);
}
