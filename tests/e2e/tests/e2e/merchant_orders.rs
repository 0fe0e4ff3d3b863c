//! The merchant sees the shop's orders (O1): a visitor buys through the storefront, the
//! owner opens the console's order list and the order, with the buyer's details to reach
//! them. The console reads orders only through the orders service (mutual TLS, its own
//! `tenant-admin` certificate); its database role has no grant on them.

use std::net::SocketAddr;

use platform_testkit::TestDb;
use platform_web::devcert::DevCa;
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "a long and lovely password";

#[tokio::test]
async fn o1_the_merchant_sees_the_order_and_can_reach_the_buyer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let db = TestDb::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::load_or_create(dir.path()).unwrap();
    let cart = e2e::spawn_cart(&db, &ca, dir.path(), crate::REDIS_URL).unwrap();
    let orders = e2e::spawn_orders(&db, &ca, dir.path(), None).unwrap();
    let (shop_port, _) = e2e::spawn_storefront(&db, &ca, dir.path(), &cart, &orders, None).unwrap();
    let admin = e2e::spawn_tenant_admin(&db, &ca, dir.path(), shop_port, Some(&orders)).unwrap();
    let http = platform_testkit::https_client(ca.cert_pem())
        .unwrap()
        .resolve(
            "alpine.shop.localhost",
            SocketAddr::from(([127, 0, 0, 1], shop_port)),
        )
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The merchant signs up, logs in, and sets up a product and shipping to Germany.
    let res = http
        .post(format!("{admin}/api/v1/signup"))
        .json(&json!({ "handle": "alpine", "display_name": "Alpine", "currency": "EUR", "email": "owner@alpine.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = http
        .post(format!("{admin}/api/v1/login"))
        .json(&json!({ "shop": "alpine", "email": "owner@alpine.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let session = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = res.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let console = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{admin}{path}"))
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
    };
    let res = console(reqwest::Method::PUT, "/api/v1/checkout")
        .json(&json!({ "shipping_rates": [{ "country": "DE", "name": "Standard", "price": "4.90" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = console(reqwest::Method::POST, "/api/v1/products")
        .json(&json!({ "title": "Trail Boots", "status": "active",
                       "variants": [{ "sku": "BOOTS", "price_minor": 11900, "stock": 3 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let product: Value = res.json().await.unwrap();
    let variant = product["variants"][0]["id"].as_str().unwrap().to_owned();

    let (before, _) = (
        console(reqwest::Method::GET, "/orders")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        (),
    );
    assert!(before.contains("No orders yet."), "{before}");

    // A visitor buys one pair.
    let shop = |path: &str| format!("https://alpine.shop.localhost:{shop_port}{path}");
    let res = http
        .post(shop("/cart/add"))
        .form(&[("variant", variant.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    http.post(shop("/cart/details"))
        .header("cookie", &cookie)
        .form(&[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.org"),
            ("phone", "+49 30 1234"),
            ("address_line1", "Hauptstraße 1"),
            ("postal_code", "10115"),
            ("city", "Berlin"),
            ("country", "DE"),
        ])
        .send()
        .await
        .unwrap();
    let review = http
        .get(shop("/checkout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        let lead = format!("name=\"{name}\" value=\"");
        let start = review
            .find(&lead)
            .unwrap_or_else(|| panic!("{name} in {review}"))
            + lead.len();
        review[start..].split('"').next().unwrap().to_owned()
    };
    let res = http
        .post(shop("/checkout/place"))
        .header("cookie", &cookie)
        .form(&[
            ("key", field("key")),
            ("expected_total", field("expected_total")),
            ("rate", field("rate")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/orders/")
    );

    // The merchant's list shows it without personal data; the order shows the buyer.
    let list = console(reqwest::Method::GET, "/orders")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(">1001</a>")
            && list.contains("Waiting for payment")
            && list.contains("123.90 EUR"),
        "{list}"
    );
    assert!(!list.contains("Ada"), "the list holds no personal data");
    let href = list
        .split("href=\"/orders/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let order = console(reqwest::Method::GET, &format!("/orders/{href}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "Ada Lovelace",
        "mailto:ada@example.org",
        "tel:+49 30 1234",
        "Hauptstraße 1",
        "10115 Berlin",
        "127.0.0.1",
        "placed · by buyer",
    ] {
        assert!(order.contains(shown), "{shown} missing: {order}");
    }
    // The buyer never pays: the owner cancels, and the items go back on sale.
    let csrf_field = order
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = console(reqwest::Method::POST, &format!("/orders/{href}/cancel"))
        .form(&[("csrf", csrf_field.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order = console(reqwest::Method::GET, &format!("/orders/{href}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        order.contains("<strong>Cancelled</strong>") && order.contains("cancelled · by staff:"),
        "{order}"
    );
    assert!(!order.contains("Cancel this order"));
    let paid = console(reqwest::Method::GET, "/orders?status=paid")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("No orders yet."));
    let missing = console(
        reqwest::Method::GET,
        "/orders/00000000-0000-4000-8000-000000000000",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
