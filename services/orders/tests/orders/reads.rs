//! Reading orders: the merchant's list and detail, the buyer's status page, shop
//! isolation, callers, and the sweep of unpaid orders.

use std::time::Duration;

use reqwest::StatusCode;

use crate::{Fixture, lines, variant};

#[tokio::test]
async fn the_list_filters_by_status_and_number_and_pages() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 100).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    for i in 0..5 {
        assert_eq!(
            f.place(f.shop, &format!("k-{i}"), &body).await.status,
            StatusCode::CREATED
        );
    }
    let page = f.get(f.shop, "/orders?limit=2").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let numbers: Vec<_> = page.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1005, 1004]);
    assert_eq!(page.body["orders"][0]["item_count"], 2);
    assert!(
        page.body["orders"][0].get("contact").is_none(),
        "a list holds no personal data"
    );
    let next = f.get(f.shop, "/orders?limit=2&before=1004").await;
    assert_eq!(next.body["orders"][0]["number"], 1003);
    let one = f.get(f.shop, "/orders?number=%231002").await;
    assert_eq!(one.body["orders"].as_array().unwrap().len(), 1);
    let none = f.get(f.shop, "/orders?number=boots").await;
    assert_eq!(none.body["orders"].as_array().unwrap().len(), 0);
    let paid = f.get(f.shop, "/orders?status=paid").await;
    assert_eq!(paid.body["orders"].as_array().unwrap().len(), 0);
    let bad = f.get(f.shop, "/orders?status=lost").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let bad = f.get(f.shop, "/orders?limit=0").await;
    assert_eq!(bad.code(), "orders.query_invalid");
}

#[tokio::test]
async fn o21_another_shop_sees_neither_the_order_nor_its_code() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 10).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let placed = f.place(f.shop, "k", &body).await;
    let id = placed.body["order_id"].as_str().unwrap();
    let code = placed.body["public_code"].as_str().unwrap();
    assert_eq!(
        f.get(f.other, &format!("/orders/{id}")).await.code(),
        "orders.not_found"
    );
    assert_eq!(
        f.get(f.other, &format!("/orders/by-code/{code}"))
            .await
            .code(),
        "orders.not_found"
    );
    assert_eq!(
        f.get(f.other, "/orders").await.body["orders"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // The other shop's buyers cannot order this shop's goods through it either.
    let stolen = f.place(f.other, "k", &body).await;
    assert!(
        ["orders.variant_unavailable", "orders.shipping_unavailable"].contains(&stolen.code()),
        "{}",
        stolen.body
    );
    assert_eq!(
        f.get(f.shop, "/orders/not-an-id").await.code(),
        "orders.malformed_id"
    );
    assert_eq!(
        f.get(f.shop, "/orders/by-code/..%2F..").await.code(),
        "orders.not_found"
    );
}

#[tokio::test]
async fn the_buyers_status_page_shows_the_order_and_none_of_their_details() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 10).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let placed = f.place(f.shop, "k", &body).await;
    let code = placed.body["public_code"].as_str().unwrap();
    let view = f.get(f.shop, &format!("/orders/by-code/{code}")).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["reference"], "1001");
    assert_eq!(view.body["lines"][0]["product_title"], "Boots");
    assert_eq!(view.body["shipping_rate_name"], "Standard");
    let text = view.body.to_string();
    for private in ["Ada", "ada@example.org", "Berlin", "203.0.113"] {
        assert!(!text.contains(private), "{private} on the status page");
    }
}

#[tokio::test]
async fn o7_only_the_named_services_may_call() {
    let f = Fixture::build(false, Duration::from_secs(3600), "cart").await;
    let refused = f.get(f.shop, "/orders").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "caller.not_allowed")
    );
    let ready = f
        .client
        .get(format!("{}/readyz", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn unpaid_orders_give_their_stock_back_when_the_hold_runs_out() {
    let f = Fixture::build(false, Duration::from_millis(100), "storefront").await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 3).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    let placed = f.place(f.shop, "k", &body).await;
    assert_eq!(f.stock(f.shop, boots).await, 1);
    let hold =
        chrono::DateTime::parse_from_rfc3339(placed.body["hold_until"].as_str().unwrap()).unwrap();
    let minutes = (hold.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (29..=30).contains(&minutes),
        "the default hold is 30 minutes, got {minutes}"
    );

    // Time passes: the hold lies in the past.
    let owner = platform_tenancy::TenantDb::new(f.db.owner_pool().await.unwrap());
    let mut tx = owner.begin(f.shop).await.unwrap();
    sqlx::query("update orders set hold_until = now() - interval '1 minute'")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while f.stock(f.shop, boots).await != 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stock never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = placed.body["order_id"].as_str().unwrap();
    let d = f.get(f.shop, &format!("/orders/{id}")).await;
    assert_eq!(d.body["summary"]["status"], "cancelled");
    assert_eq!(d.body["events"][1]["kind"], "hold_expired");
    assert_eq!(d.body["events"][1]["actor"], "system");
}

#[tokio::test]
async fn o3_a_card_number_in_a_body_or_query_is_refused_before_anything_reads_it() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 10).await;
    let mut body = f.order(f.shop, lines(&[(boots, 1)])).await;
    body["contact"]["name"] = serde_json::json!("4242 4242 4242 4242");
    let refused = f.place(f.shop, "k", &body).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "request.card_number")
    );
    let refused = f.get(f.shop, "/orders?number=4000056655665556").await;
    assert_eq!(refused.code(), "request.card_number");
    assert_eq!(
        f.count(f.shop, "select count(*) from idempotency_keys")
            .await,
        0,
        "refused before the key was taken"
    );
}

#[tokio::test]
async fn staff_cancel_an_unpaid_order_once_and_its_stock_goes_back() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 1000, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    let placed = f.place(f.shop, "k", &body).await;
    let id = placed.body["order_id"].as_str().unwrap();
    assert_eq!(f.stock(f.shop, boots).await, 3);
    let staff = uuid::Uuid::new_v4();
    let cancel = serde_json::json!({ "staff_id": staff });

    let done = f
        .post(f.shop, &format!("/orders/{id}/cancel"), None, &cancel)
        .await;
    assert_eq!(
        (done.status, &done.body["status"]),
        (StatusCode::OK, &serde_json::json!("cancelled"))
    );
    assert_eq!(f.stock(f.shop, boots).await, 5);
    let again = f
        .post(f.shop, &format!("/orders/{id}/cancel"), None, &cancel)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        f.stock(f.shop, boots).await,
        5,
        "cancelled once, stock returned once"
    );
    let d = f.get(f.shop, &format!("/orders/{id}")).await;
    let events = d.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["kind"], "cancelled");
    assert_eq!(events[1]["actor"], format!("staff:{staff}"));

    assert_eq!(
        f.post(f.other, &format!("/orders/{id}/cancel"), None, &cancel)
            .await
            .code(),
        "orders.not_found"
    );
    // Past payment an order is refunded, not cancelled.
    let owner = platform_tenancy::TenantDb::new(f.db.owner_pool().await.unwrap());
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let paid = f.place(f.shop, "k2", &body).await;
    let paid_id = paid.body["order_id"].as_str().unwrap();
    let mut tx = owner.begin(f.shop).await.unwrap();
    sqlx::query("update orders set status = 'paid' where id = $1::uuid")
        .bind(paid_id)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refused = f
        .post(f.shop, &format!("/orders/{paid_id}/cancel"), None, &cancel)
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::CONFLICT, "orders.not_cancellable")
    );
}
