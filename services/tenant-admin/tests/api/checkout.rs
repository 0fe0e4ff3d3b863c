//! Checkout settings through the API: numbering that only moves on, the hold, flat rates
//! per country in the shop's currency, tax per country; and the console form.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::App;

#[tokio::test]
async fn checkout_settings_are_saved_checked_and_keep_rate_identity() {
    let app = App::start().await;
    let s = app.shop("checkout-shop").await;
    let (status, fresh) = s.get("/api/v1/checkout").await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(
        fresh,
        json!({ "order_number_prefix": "", "next_order_number": 1001, "order_hold_minutes": 30,
                "shipping_rates": [], "tax_rates": [] })
    );

    let settings = json!({
        "order_number_prefix": "CS-",
        "next_order_number": 5000,
        "order_hold_minutes": 45,
        "shipping_rates": [
            { "country": "de", "name": "Standard", "price": "4.90" },
            { "country": "DE", "name": "Express", "price": "9.9" },
            { "country": "AT", "name": "Standard", "price": "6.90" }
        ],
        "tax_rates": [ { "country": "DE", "rate": "19", "inclusive": true }, { "country": "AT", "rate": "7,5", "inclusive": false } ]
    });
    let (status, saved) = s
        .send(Method::PUT, "/api/v1/checkout", Some(settings.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["next_order_number"], 5000);
    assert_eq!(
        saved["shipping_rates"][0],
        json!({ "country": "AT", "name": "Standard", "price": "6.90" })
    );
    assert_eq!(
        saved["shipping_rates"][2],
        json!({ "country": "DE", "name": "Express", "price": "9.90" })
    );
    assert_eq!(
        saved["tax_rates"][0],
        json!({ "country": "AT", "rate": "7.5", "inclusive": false })
    );

    // Saving again keeps each (country, name) rate's row: a buyer who chose it keeps it.
    let (_, me) = s.get("/api/v1/me").await;
    let tenant: platform_tenancy::TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    let orders = platform_tenancy::TenantDb::new(app.db.pool_as("orders", 1).await.unwrap());
    let ids = || async {
        let mut tx = orders.begin(tenant).await.unwrap();
        let ids: Vec<String> =
            sqlx::query_scalar("select id::text from shipping_rates order by country, name")
                .fetch_all(&mut tx)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        ids
    };
    let before = ids().await;
    let (status, again) = s
        .send(Method::PUT, "/api/v1/checkout", Some(settings.clone()))
        .await;
    assert_eq!(
        (status, again["shipping_rates"].clone()),
        (StatusCode::OK, saved["shipping_rates"].clone())
    );
    assert_eq!(ids().await, before);

    for (field, value, code) in [
        (
            "order_number_prefix",
            json!("a b"),
            "checkout.prefix_invalid",
        ),
        ("next_order_number", json!(10), "checkout.number_backwards"),
        ("order_hold_minutes", json!(2), "checkout.hold_invalid"),
        (
            "shipping_rates",
            json!([{ "country": "XX", "name": "S", "price": "1" }]),
            "checkout.country_unknown",
        ),
        (
            "shipping_rates",
            json!([{ "country": "DE", "name": "S", "price": "1.999" }]),
            "checkout.rate_price_invalid",
        ),
        (
            "shipping_rates",
            json!([{ "country": "DE", "name": "S", "price": "1" }, { "country": "DE", "name": "s", "price": "2" }]),
            "checkout.rate_duplicate",
        ),
        (
            "tax_rates",
            json!([{ "country": "DE", "rate": "101", "inclusive": true }]),
            "checkout.tax_rate_invalid",
        ),
        (
            "tax_rates",
            json!([{ "country": "DE", "rate": "7", "inclusive": true }, { "country": "DE", "rate": "19", "inclusive": true }]),
            "checkout.tax_duplicate",
        ),
    ] {
        let mut bad = settings.clone();
        bad[field] = value;
        let (status, body) = s.send(Method::PUT, "/api/v1/checkout", Some(bad)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{field}: {body}"
        );
    }
    let (_, kept) = s.get("/api/v1/checkout").await;
    assert_eq!(kept, saved, "a refused save changes nothing");

    // The console form: rows of inputs, a blank row dropped, a cleared row removed.
    let page = s
        .client
        .get(format!("{}/settings/checkout", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("value=\"CS-\"") && page.contains("name=\"rate_country_3\""),
        "{page}"
    );
    // Countries are chosen from a list, by their names.
    assert!(
        page.contains("<select name=\"rate_country_3\"")
            && page.contains("<option value=\"DE\">Germany</option>"),
        "{page}"
    );
    let form = [
        ("csrf", s.csrf.as_str()),
        ("order_number_prefix", "cs-"),
        ("next_order_number", "5000"),
        ("order_hold_minutes", "30"),
        ("rate_country_0", "DE"),
        ("rate_name_0", "Standard"),
        ("rate_price_0", "5.50"),
        ("rate_country_1", ""),
        ("rate_name_1", ""),
        ("rate_price_1", ""),
        ("tax_country_0", "DE"),
        ("tax_rate_0", "19"),
        ("tax_inclusive_0", "on"),
    ];
    let res = s
        .client
        .post(format!("{}/settings/checkout", s.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/settings/checkout?done=saved");
    assert!(
        s.page("/settings/checkout?done=saved")
            .await
            .contains("Checkout settings saved.")
    );
    let (_, now) = s.get("/api/v1/checkout").await;
    assert_eq!(now["order_number_prefix"], "CS-");
    assert_eq!(
        now["shipping_rates"],
        json!([{ "country": "DE", "name": "Standard", "price": "5.50" }])
    );
    assert_eq!(
        now["tax_rates"],
        json!([{ "country": "DE", "rate": "19", "inclusive": true }])
    );
    // A refused form comes back as typed, the problem at its table; nothing is saved.
    let mut bad: Vec<(&str, &str)> = form
        .iter()
        .copied()
        .filter(|(k, _)| !k.ends_with("_1"))
        .collect();
    bad.extend([
        ("rate_country_1", "FR"),
        ("rate_name_1", "Express"),
        ("rate_price_1", "fast"),
    ]);
    let res = s
        .client
        .post(format!("{}/settings/checkout", s.base))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("value=\"Express\"")
            && page.contains("value=\"fast\"")
            && page.contains("id=\"rates-error\" role=\"alert\""),
        "{page}"
    );
    assert_eq!(
        s.get("/api/v1/checkout").await.1["shipping_rates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
