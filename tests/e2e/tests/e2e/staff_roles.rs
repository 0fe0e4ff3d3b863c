//! O8 end to end: every cell of the role matrix (`docs/data-classes.md`) on an order with
//! every class filled in, on the console's HTML and its JSON; actions follow the same
//! rules; every look is in the audit log (O22).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::merchant_orders::Shop;

/// One person's view of the order, as a page and as JSON.
async fn views(shop: &Shop, client: &reqwest::Client, order: &str) -> (StatusCode, String, Value) {
    let page = client
        .get(format!("{}/orders/{order}", shop.admin))
        .send()
        .await
        .unwrap();
    let status = page.status();
    let html = page.text().await.unwrap();
    let json: Value = client
        .get(format!("{}/api/v1/orders/{order}", shop.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (status, html, json)
}

#[tokio::test]
async fn o8_each_role_sees_exactly_its_cells_of_the_matrix_on_html_and_json() {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let email = shop.buyer_email().to_owned();
    let unique = |role: &str| {
        format!(
            "{role}-{}@staff.example",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    };

    // The values of the order, by class and field.
    let name = "Ada Lovelace";
    let phone = "+49 30 1234";
    let street = "Hauptstraße 1";
    let ip = "127.0.0.1";
    let card = "ending in 4444";
    // Each role and what it sees: name, email, phone, address, IP, card, totals.
    let matrix: [(&str, [bool; 7]); 4] = [
        ("billing", [true, true, false, false, true, true, true]),
        ("support", [true, true, true, true, false, false, true]),
        (
            "fulfilment",
            [true, false, false, true, false, false, false],
        ),
        ("owner", [true; 7]),
    ];
    for (role, sees) in matrix {
        let (client, _) = if role == "owner" {
            (shop.owner_client().clone(), String::new())
        } else {
            shop.member(&unique(role), &[role]).await
        };
        let (status, html, json) = views(&shop, &client, &order).await;
        assert_eq!(status, StatusCode::OK, "{role}: {html}");
        // HTML: each value present exactly when the matrix says so.
        for (i, value) in [name, email.as_str(), phone, street, ip, card]
            .iter()
            .enumerate()
        {
            assert_eq!(
                html.contains(value),
                sees[i],
                "{role} / {value} in the page"
            );
        }
        // JSON: the same cells, masked values as "••••" and nothing of them sent.
        let text = json.to_string();
        let shown = |v: &Value| v != "••••";
        assert_eq!(shown(&json["contact"]["name"]), sees[0], "{role} name");
        assert_eq!(shown(&json["contact"]["email"]), sees[1], "{role} email");
        assert_eq!(shown(&json["contact"]["phone"]), sees[2], "{role} phone");
        assert_eq!(shown(&json["shipping"]), sees[3], "{role} shipping");
        assert_eq!(shown(&json["buyer_ip"]), sees[4], "{role} ip");
        assert_eq!(shown(&json["payment"]), sees[5], "{role} payment");
        assert_eq!(shown(&json["totals"]), sees[6], "{role} totals");
        for (i, value) in [email.as_str(), phone, street, ip, "4444"]
            .iter()
            .enumerate()
        {
            let seen = [sees[1], sees[2], sees[3], sees[4], sees[5]][i];
            assert_eq!(text.contains(value), seen, "{role} / {value} in {text}");
        }
        // The CSV export: the same cells (masked ones read "••••").
        let csv = client
            .get(format!("{}/api/v1/orders/export?format=csv", shop.admin))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK, "{role} export");
        let csv = csv.text().await.unwrap();
        for (i, value) in [name, email.as_str(), phone, street, ip, "4444"]
            .iter()
            .enumerate()
        {
            assert_eq!(
                csv.contains(value),
                sees[i],
                "{role} / {value} in the export: {csv}"
            );
        }
        assert!(csv.contains("1001"), "{csv}");
        // Never personal data: the number, the status and the lines, for every role.
        assert_eq!(json["reference"], "1001");
        assert_eq!(json["lines"][0]["product_title"], "Trail Boots");
    }

    // A catalog manager sees no personal data at all: not even the orders.
    let (catalog, _) = shop.member(&unique("catalog"), &["catalog"]).await;
    let (status, _, json) = views(&shop, &catalog, &order).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json["error"]["code"], "auth.forbidden");
    let list = catalog
        .get(format!("{}/api/v1/orders", shop.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::FORBIDDEN);
    let export = catalog
        .get(format!("{}/api/v1/orders/export?format=csv", shop.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::FORBIDDEN);
    // Each export is one event in the owner's log, naming the order and the classes.
    let exports: Value = shop
        .console(
            reqwest::Method::GET,
            &format!("/api/v1/audit?object=order:{order}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fulfilment_export = exports["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "order.export" && e["actor"]["roles"] == json!(["fulfilment"]))
        .unwrap_or_else(|| panic!("{exports}"));
    assert_eq!(fulfilment_export["classes"], json!(["contact", "shipping"]));
}

#[tokio::test]
async fn o8_actions_follow_the_roles_only_billing_refunds_only_fulfilment_ships() {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let unique = |role: &str| {
        format!(
            "{role}-{}@staff.example",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        )
    };
    let (support, support_csrf) = shop.member(&unique("support"), &["support"]).await;
    let (packer, packer_csrf) = shop.member(&unique("fulfilment"), &["fulfilment"]).await;
    let (clerk, clerk_csrf) = shop.member(&unique("billing"), &["billing"]).await;
    let post = |c: &reqwest::Client, csrf: &str, path: &str, body: Value| {
        c.post(format!("{}{path}", shop.admin))
            .header("x-csrf-token", csrf)
            .json(&body)
            .send()
    };
    let refund = format!("/api/v1/orders/{order}/refund");
    let ship = format!("/api/v1/orders/{order}/ship");
    for (c, csrf) in [(&support, &support_csrf), (&packer, &packer_csrf)] {
        let res = post(c, csrf, &refund, json!({ "amount": "1.00" }))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    for (c, csrf) in [(&support, &support_csrf), (&clerk, &clerk_csrf)] {
        let res = post(c, csrf, &ship, json!({})).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let res = post(&packer, &packer_csrf, &ship, json!({})).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );
    let res = post(&clerk, &clerk_csrf, &refund, json!({ "amount": "10.00" }))
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );
    // The owner's log shows who did what, in which role.
    let log: Value = shop
        .console(reqwest::Method::GET, "/api/v1/audit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = log["events"].as_array().unwrap();
    let by = |action: &str| {
        events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} in {log}"))["actor"]["roles"]
            .clone()
    };
    assert_eq!(by("order.ship"), json!(["fulfilment"]));
    assert_eq!(by("order.refund"), json!(["billing"]));
}
