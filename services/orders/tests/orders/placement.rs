//! Quotes and placing one order: totals from Postgres, the buyer's details, numbering,
//! idempotency answers, and what is stored.

use reqwest::StatusCode;
use serde_json::json;

use crate::{Fixture, exec, lines, rate, variant};

#[tokio::test]
async fn quotes_price_from_the_catalog_with_the_destinations_rate_and_tax() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let hat = variant(&f.admin, f.shop, "Hat", 2500, 1).await;
    let wanted = lines(&[(boots, 2), (hat, 1)]);

    let q = f
        .post(f.shop, "/quotes", None, &json!({ "lines": wanted }))
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert_eq!(q.body["subtotal_minor"], 26300);
    assert_eq!(q.body["countries"], json!(["CH", "DE"]));
    assert_eq!(q.body["shipping_options"], json!([]));
    assert_eq!(q.body["ready"], false, "no shipping rate chosen yet");

    let express = rate(&f.admin, f.shop, "DE", "Express").await;
    let q = f
        .post(
            f.shop,
            "/quotes",
            None,
            &json!({ "lines": wanted, "country": "de", "shipping_rate_id": express }),
        )
        .await;
    assert_eq!(q.body["shipping_options"].as_array().unwrap().len(), 2);
    assert_eq!(q.body["shipping_minor"], 990);
    // 19 % contained in 263.00 + 9.90 = 272.90: 43.57
    assert_eq!(
        (q.body["tax_minor"].as_i64(), q.body["total_minor"].as_i64()),
        (Some(4357), Some(27290))
    );
    assert_eq!(q.body["tax_inclusive"], true);
    assert_eq!(q.body["ready"], true);

    // Switzerland: no tax row, so none; the German rate does not ship there.
    let q = f
        .post(
            f.shop,
            "/quotes",
            None,
            &json!({ "lines": wanted, "country": "CH", "shipping_rate_id": express }),
        )
        .await;
    assert_eq!(
        (q.body["tax_minor"].as_i64(), q.body["shipping"].is_null()),
        (Some(0), true)
    );
    assert_eq!(q.body["ready"], false);

    // A price change shows at once; stock short shows as unavailable, never hidden.
    exec(
        &f.admin,
        f.shop,
        "update variants set price_minor = 12900 where price_minor = 11900",
    )
    .await;
    let q = f
        .post(
            f.shop,
            "/quotes",
            None,
            &json!({ "lines": lines(&[(boots, 2), (hat, 2)]) }),
        )
        .await;
    assert_eq!(q.body["lines"][0]["unit_price_minor"], 12900);
    assert_eq!(
        (
            q.body["lines"][1]["available"].as_bool(),
            q.body["lines"][1]["in_stock"].as_i64()
        ),
        (Some(false), Some(1))
    );

    let bad = f
        .post(f.shop, "/quotes", None, &json!({ "lines": [] }))
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "orders.empty")
    );
    let bad = f
        .post(
            f.shop,
            "/quotes",
            None,
            &json!({ "lines": wanted, "country": "XX" }),
        )
        .await;
    assert_eq!(bad.code(), "orders.country_unknown");
}

#[tokio::test]
async fn o1_o5_an_order_keeps_its_lines_totals_sealed_details_and_the_buyers_ip() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    let placed = f.place(f.shop, "k-1", &body).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(placed.body["reference"], "1001");
    assert_eq!(placed.body["status"], "pending_payment");
    assert_eq!(placed.body["total_minor"], 24290);
    assert_eq!(placed.body["public_code"].as_str().unwrap().len(), 22);
    assert_eq!(f.stock(f.shop, boots).await, 3);

    // The merchant's view opens the buyer's details (O1) and shows the full IP (O5).
    let id = placed.body["order_id"].as_str().unwrap();
    let d = f.get(f.shop, &format!("/orders/{id}")).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.body["contact"]["email"], "ada@example.org");
    assert_eq!(d.body["shipping"]["city"], "Berlin");
    assert_eq!(d.body["buyer_ip"], "203.0.113.77");
    assert_eq!(d.body["lines"][0]["unit_price_minor"], 11900);
    assert_eq!(d.body["events"][0]["kind"], "placed");
    assert_eq!(d.body["events"][0]["actor"], "buyer");

    // At rest the details are ciphertext, with a blind index on the email.
    let sealed: i64 = f
        .count(
            f.shop,
            "select count(*) from orders where position('ada@example.org'::bytea in contact_sealed) = 0 \
             and position('Berlin'::bytea in shipping_sealed) = 0 and length(email_index) = 32",
        )
        .await;
    assert_eq!(sealed, 1);
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from outbox where kind = 'order_placed'"
        )
        .await,
        1
    );

    // Numbers are per shop and follow the shop's prefix.
    exec(
        &f.admin,
        f.shop,
        "update store_settings set order_number_prefix = 'AL-'",
    )
    .await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    assert_eq!(
        f.place(f.shop, "k-2", &body).await.body["reference"],
        "AL-1002"
    );
    let socks = variant(&f.admin, f.other, "Socks", 900, 5).await;
    let body = f.order(f.other, lines(&[(socks, 1)])).await;
    assert_eq!(
        f.place(f.other, "k-1", &body).await.body["reference"],
        "1001"
    );
}

#[tokio::test]
async fn o2_a_hidden_field_posted_anyway_is_refused_and_never_stored() {
    let f = Fixture::new().await;
    exec(
        &f.admin,
        f.shop,
        r#"update store_settings set checkout_fields = '{"name": "required", "email": "required", "phone": "hidden", "address": "required"}'"#,
    )
    .await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let mut body = f.order(f.shop, lines(&[(boots, 1)])).await;
    body["contact"]["phone"] = json!("+49 30 1234567");
    let refused = f.place(f.shop, "k-1", &body).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "orders.field_not_asked")
    );
    assert_eq!(f.count(f.shop, "select count(*) from orders").await, 0);
    assert_eq!(f.stock(f.shop, boots).await, 5);

    // An optional field may stay empty; a required one may not; nothing else is accepted.
    body["contact"]["phone"] = json!("");
    let ok = f.place(f.shop, "k-1", &body).await;
    assert_eq!(
        ok.status,
        StatusCode::CREATED,
        "the key was freed by the refusal: {}",
        ok.body
    );
    let mut missing = body.clone();
    missing["contact"]["name"] = json!("  ");
    assert_eq!(
        f.place(f.shop, "k-2", &missing).await.code(),
        "orders.field_missing"
    );
    let mut extra = body.clone();
    extra["contact"]["birthday"] = json!("1815-12-10");
    let refused = f.place(f.shop, "k-3", &extra).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "request.invalid_json")
    );
}

#[tokio::test]
async fn idempotency_replays_refuses_another_body_and_needs_a_key() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;

    let missing = f.post(f.shop, "/orders", None, &body).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::BAD_REQUEST, "orders.idempotency_key_missing")
    );
    let bad = f.place(f.shop, "two words", &body).await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "orders.idempotency_key_invalid")
    );

    let first = f.place(f.shop, "\"checkout-7\"", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = f.place(f.shop, "checkout-7", &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        again.body, first.body,
        "the same answer, byte for byte in JSON"
    );
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(f.stock(f.shop, boots).await, 4, "stock was taken once");
    // Whoever holds the key may ask for its order without the body (a resend after the
    // cart was cleared); a key that placed nothing is not found.
    let by_key = f.get(f.shop, "/orders/by-key/checkout-7").await;
    assert_eq!((by_key.status, &by_key.body), (StatusCode::OK, &first.body));
    assert_eq!(
        f.get(f.shop, "/orders/by-key/never-used").await.code(),
        "orders.not_found"
    );
    assert_eq!(
        f.get(f.other, "/orders/by-key/checkout-7").await.code(),
        "orders.not_found"
    );

    let mut other = body.clone();
    other["lines"][0]["quantity"] = json!(2);
    let reused = f.place(f.shop, "checkout-7", &other).await;
    assert_eq!(
        (reused.status, reused.code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "orders.idempotency_key_reused"
        )
    );

    // Keys are per shop: the same key in another shop is another request.
    let socks = variant(&f.admin, f.other, "Socks", 900, 5).await;
    let body = f.order(f.other, lines(&[(socks, 1)])).await;
    assert_eq!(
        f.place(f.other, "checkout-7", &body).await.status,
        StatusCode::CREATED
    );

    // Kept 72 hours at least.
    let kept = f
        .count(
            f.shop,
            "select count(*) from idempotency_keys where expires_at >= created_at + interval '72 hours'",
        )
        .await;
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn a_request_still_in_flight_answers_409_until_its_lease_runs_out() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    // What a request that is still running (or died) leaves: the key in flight with the
    // fingerprint of this very body.
    let first = f.place(f.shop, "probe", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let orders = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.shop).await.unwrap();
    sqlx::query(
        "insert into idempotency_keys (tenant_id, key, request_hash, state, lease, lease_until, expires_at) \
         select tenant_id, 'running', request_hash, 'in_flight', gen_random_uuid(), now() + interval '30 seconds', \
                now() + interval '72 hours' from idempotency_keys where key = 'probe'",
    )
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let busy = f.place(f.shop, "running", &body).await;
    assert_eq!(
        (busy.status, busy.code()),
        (StatusCode::CONFLICT, "orders.request_in_flight")
    );

    // Its lease runs out (the request died): a retry takes the key over and places it.
    let mut tx = orders.begin(f.shop).await.unwrap();
    sqlx::query("update idempotency_keys set lease_until = now() - interval '1 second' where key = 'running'")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let retried = f.place(f.shop, "running", &body).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.body);
    assert_eq!(f.count(f.shop, "select count(*) from orders").await, 2);
}

#[tokio::test]
async fn changed_totals_and_short_stock_are_refused_never_silently_applied() {
    let f = Fixture::new().await;
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 2).await;
    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    exec(&f.admin, f.shop, "update variants set price_minor = 12900").await;
    let changed = f.place(f.shop, "k-1", &body).await;
    assert_eq!(
        (changed.status, changed.code()),
        (StatusCode::CONFLICT, "orders.totals_changed")
    );

    let body = f.order(f.shop, lines(&[(boots, 2)])).await;
    exec(&f.admin, f.shop, "update variants set stock = 1").await;
    let short = f.place(f.shop, "k-2", &body).await;
    assert_eq!(
        (short.status, short.code()),
        (StatusCode::CONFLICT, "orders.insufficient_stock")
    );
    assert!(
        short.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only 1")
    );

    exec(&f.admin, f.shop, "update products set status = 'archived'").await;
    let gone = f.place(f.shop, "k-3", &body).await;
    assert_eq!(gone.code(), "orders.variant_unavailable");

    exec(&f.admin, f.shop, "update products set status = 'active'").await;
    let mut wrong_rate = f.order(f.shop, lines(&[(boots, 1)])).await;
    wrong_rate["shipping_rate_id"] = json!(rate(&f.admin, f.shop, "CH", "Standard").await);
    assert_eq!(
        f.place(f.shop, "k-4", &wrong_rate).await.code(),
        "orders.shipping_unavailable"
    );
    // A shop an owner asked to close takes no new orders during its grace period.
    exec(
        &f.admin,
        f.shop,
        "update tenants set closes_at = now() + interval '14 days' where handle = 'alpine'",
    )
    .await;
    let body = f.order(f.shop, lines(&[(boots, 1)])).await;
    let closing = f.place(f.shop, "k-5", &body).await;
    assert_eq!(
        (closing.status, closing.code()),
        (StatusCode::CONFLICT, "orders.shop_closing")
    );
    assert_eq!(f.count(f.shop, "select count(*) from orders").await, 0);
    assert_eq!(
        f.count(f.shop, "select count(*) from idempotency_keys")
            .await,
        0,
        "refusals free their keys"
    );
}
