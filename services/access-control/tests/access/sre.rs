//! SRE works without personal data (O8, O23): every route of the service, walked as SRE
//! while another operator holds a grant on a shop full of it, answers nothing personal.

use serde_json::{Value, json};

use crate::Stack;
use crate::grants::handle;

/// What would give Erika away.
const PERSONAL: [&str; 7] = [
    "Erika",
    "erika@example.org",
    "+49 30",
    "Hauptstraße",
    "203.0.113.7",
    "···· 4242",
    "12/2030",
];

fn assert_clean(what: &str, text: &str) {
    for p in PERSONAL {
        assert!(!text.contains(p), "{what} shows {p:?} to SRE: {text}");
    }
}

#[tokio::test]
async fn o8_every_route_walked_as_sre_shows_no_personal_data() {
    let stack = Stack::new().await;
    let shop = handle(&stack).await;
    let alice = stack.member("alice", &["support"]).await;
    let (status, g) = alice
        .post(&stack.base, "/api/v1/grants",
            &json!({"shop": shop, "purpose": "customer_support", "ticket": "SUP-1", "reason": "The buyer asks about every detail of the order",
                    "classes": ["contact", "shipping", "billing", "network"]}))
        .await;
    assert_eq!(status, 201);
    let grant = g["id"].as_str().unwrap().to_owned();
    stack.approve(stack.shop, grant.parse().unwrap()).await;
    // The data is there to be found: Alice sees it.
    let (_, seen) = alice
        .get(&stack.base, &format!("/api/v1/shops/{}/orders", stack.shop))
        .await;
    assert!(seen.to_string().contains("erika@example.org"));

    let sre = stack.member("sam", &["sre"]).await;
    let (status, doc) = sre.get(&stack.base, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let fill = |path: &str| {
        path.replace("{shop}", &stack.shop.to_string()).replace(
            "{id}",
            if path.contains("/orders/") {
                &stack.order_text
            } else {
                &grant
            },
        )
    };
    let mut walked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if path == "/api/v1/logout" {
                continue; // walked last
            }
            let url = format!("{}{}", stack.base, fill(path));
            let request = match method.as_str() {
                "get" => sre.client.get(&url),
                "post" => sre.client.post(&url).header("x-csrf-token", &sre.csrf).json(&json!({
                    "shop": shop, "purpose": "other", "reason": "SRE looking at everything here just in case",
                    "classes": ["contact"], "incident_id": "INC-1", "note": "x".repeat(50),
                })),
                other => panic!("unexpected method {other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_clean(&format!("{method} {path}"), &text);
            let allowed = [
                "/api/v1/me",
                "/api/v1/metrics",
                "/api/v1/openapi.json",
                "/api/v1/login",
            ];
            if !allowed.contains(&path.as_str()) {
                assert!(
                    status >= 400,
                    "{method} {path} answered {status} to SRE: {text}"
                );
            }
            walked += 1;
        }
    }
    assert!(walked >= 15, "walked {walked} routes");
    for page in [
        "/".to_owned(),
        "/grants/new".to_owned(),
        "/staff".to_owned(),
        "/break-glass".to_owned(),
        "/break-glass/new".to_owned(),
        format!("/shops/{}/orders", stack.shop),
        format!("/shops/{}/orders/{}", stack.shop, stack.order),
        "/readyz".to_owned(),
        "/healthz".to_owned(),
    ] {
        let (_, text) = sre.page(&stack.base, &page).await;
        assert_clean(&page, &text);
    }
    let (status, figures): (u16, Value) = sre.get(&stack.base, "/api/v1/metrics").await;
    assert_eq!(status, 200);
    assert!(
        figures["shops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["label"] == "active" && c["count"] == 2)
    );
    let (_, home) = sre.page(&stack.base, "/").await;
    assert!(home.contains("Platform figures"));
}
