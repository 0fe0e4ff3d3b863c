use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::App;

fn mug() -> Value {
    json!({
        "title": "Blue Mug",
        "description": "A mug, blue.",
        "status": "active",
        "variants": [
            { "sku": "MUG-S", "title": "Small", "price_minor": 1200, "stock": 5, "options": { "size": "S" } },
            { "sku": "MUG-L", "title": "Large", "price_minor": 1500, "stock": 2, "options": { "size": "L" } }
        ]
    })
}

#[tokio::test]
async fn catalog_crud_with_variants_and_collections() {
    let app = App::start().await;
    let s = app.shop("crud-shop").await;

    let (status, product) = s.post("/api/v1/products", mug()).await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    assert_eq!(product["handle"], "blue-mug");
    assert_eq!(product["variants"].as_array().unwrap().len(), 2);
    assert_eq!(product["variants"][0]["currency"], "EUR");
    let id = product["id"].as_str().unwrap().to_owned();

    // Same SKU again: a clear conflict, nothing half-created.
    let (status, body) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Other", "variants": [{ "sku": "MUG-S", "price_minor": 1 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "variant.sku_taken");
    let (_, list) = s.get("/api/v1/products").await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the failed product was rolled back"
    );

    let (status, body) = s
        .send(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(json!({ "title": "Navy Mug", "status": "archived" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["title"], "Navy Mug");
    assert_eq!(body["status"], "archived");
    let (status, body) = s
        .send(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(json!({ "status": "sold-out" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "product.status_invalid");

    let (status, body) = s
        .post(
            &format!("/api/v1/products/{id}/variants"),
            json!({ "sku": "MUG-XL", "price_minor": 1800, "options": { "size": "XL" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let xl = body["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "MUG-XL")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = s
        .send(
            Method::PATCH,
            &format!("/api/v1/variants/{xl}"),
            Some(json!({ "price_minor": -3 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "variant.price_invalid");
    let (status, body) = s
        .send(
            Method::PATCH,
            &format!("/api/v1/variants/{xl}"),
            Some(json!({ "stock": 9 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["stock"], 9);

    let (status, c) = s
        .post("/api/v1/collections", json!({ "title": "Kitchen" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let cid = c["id"].as_str().unwrap().to_owned();
    let (status, c) = s
        .send(
            Method::PUT,
            &format!("/api/v1/collections/{cid}/products/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["product_ids"], json!([id]));

    assert_eq!(
        s.get("/api/v1/products/not-a-uuid").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.send(Method::DELETE, &format!("/api/v1/products/{id}"), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/api/v1/products/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, c) = s.get(&format!("/api/v1/collections/{cid}")).await;
    assert_eq!(
        c["product_ids"],
        json!([]),
        "membership went with the product"
    );
}

#[tokio::test]
async fn o21_another_shops_ids_answer_404_for_every_verb() {
    let app = App::start().await;
    let a = app.shop("iso-a").await;
    let b = app.shop("iso-b").await;
    let (_, product) = a.post("/api/v1/products", mug()).await;
    let pid = product["id"].as_str().unwrap().to_owned();
    let vid = product["variants"][0]["id"].as_str().unwrap().to_owned();
    let (_, c) = a
        .post("/api/v1/collections", json!({ "title": "Kitchen" }))
        .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let (_, b_coll) = b
        .post("/api/v1/collections", json!({ "title": "Mine" }))
        .await;
    let b_cid = b_coll["id"].as_str().unwrap().to_owned();

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/products/{pid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/products/{pid}"),
            Some(json!({ "title": "pwned" })),
        ),
        (Method::DELETE, format!("/api/v1/products/{pid}"), None),
        (
            Method::POST,
            format!("/api/v1/products/{pid}/variants"),
            Some(json!({ "sku": "X-1", "price_minor": 1 })),
        ),
        (
            Method::PATCH,
            format!("/api/v1/variants/{vid}"),
            Some(json!({ "price_minor": 1 })),
        ),
        (Method::DELETE, format!("/api/v1/variants/{vid}"), None),
        (Method::GET, format!("/api/v1/collections/{cid}"), None),
        (Method::DELETE, format!("/api/v1/collections/{cid}"), None),
        (
            Method::PUT,
            format!("/api/v1/collections/{b_cid}/products/{pid}"),
            None,
        ),
    ] {
        let (status, _) = b.send(method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // B's lists do not contain A's things, and A's product is untouched.
    let (_, list) = b.get("/api/v1/products").await;
    assert_eq!(list, json!([]));
    let (status, again) = a.get(&format!("/api/v1/products/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["title"], "Blue Mug");
    assert_eq!(again["variants"].as_array().unwrap().len(), 2);
    // SKUs and handles are per shop: B may use A's.
    let (status, _) = b.post("/api/v1/products", mug()).await;
    assert_eq!(status, StatusCode::CREATED);
}

pub const HEADER: &str = "product_handle,product_title,product_description,product_status,product_featured,image_urls,sku,variant_title,price_minor,currency,stock,options\n";

#[tokio::test]
async fn csv_import_reports_every_bad_row_and_stores_nothing_then_round_trips() {
    let app = App::start().await;
    let s = app.shop("csv-shop").await;
    let bad = format!(
        "{HEADER}mug,Mug,,active,true,,MUG-S,Small,1200,EUR,5,size=S\n\
         tee,Tee,,active,,,TEE-1,,abc,EUR,,\n\
         cap,Cap,,bogus,,,CAP-1,,100,EUR,,\n"
    );
    let res = s.import_csv(bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "catalog.csv_invalid");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("line 3") && message.contains("line 4") && !message.contains("line 2"),
        "{message}"
    );
    assert_eq!(
        s.get("/api/v1/products").await.1,
        json!([]),
        "no partial import"
    );

    let good = format!(
        "{HEADER}mug,Mug,\"A mug, blue\",active,true,,MUG-S,Small,1200,EUR,5,size=S\n\
         mug,Mug,\"A mug, blue\",active,true,,MUG-L,Large,1500,EUR,2,size=L\n\
         tee,Tee,,draft,,,TEE-1,,2500,EUR,10,\n"
    );
    let res = s.import_csv(good.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["products_created"], 2);
    assert_eq!(body["variants"], 3);

    let exported = s.page("/api/v1/catalog.csv").await;
    assert!(exported.starts_with(HEADER.trim_end()), "{exported}");
    assert!(
        exported.contains("MUG-L") && exported.contains("\"A mug, blue\""),
        "{exported}"
    );
    // Importing the export changes nothing (idempotent upsert).
    let res = s.import_csv(exported).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["products_created"], 0);
    assert_eq!(
        s.get("/api/v1/products").await.1.as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn o20_privacy_policies_are_versioned_and_published_versions_are_immutable() {
    let app = App::start().await;
    let s = app.shop("policy-shop").await;
    let (status, body) = s
        .post("/api/v1/privacy-policies/draft/publish", json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "policy.no_draft");

    let (status, draft) = s
        .send(
            Method::PUT,
            "/api/v1/privacy-policies/draft",
            Some(json!({ "body": "We keep your data safe." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(draft["version"], 1);
    let (status, _) = s
        .send(
            Method::PUT,
            "/api/v1/privacy-policies/draft",
            Some(json!({ "body": "We keep your data very safe." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, published) = s
        .post("/api/v1/privacy-policies/draft/publish", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(published["version"], 1);

    // Editing now starts version 2; version 1 keeps its text.
    let (_, v2) = s
        .send(
            Method::PUT,
            "/api/v1/privacy-policies/draft",
            Some(json!({ "body": "Changed terms." })),
        )
        .await;
    assert_eq!(v2["version"], 2);
    let (_, versions) = s.get("/api/v1/privacy-policies").await;
    let v1 = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == 1)
        .unwrap();
    assert_eq!(v1["body"], "We keep your data very safe.");
    assert_eq!(v1["status"], "published");

    // The database refuses changes to a published version, whoever asks.
    let pool = app.db.pool_as("tenant_admin", 1).await.unwrap();
    let db = platform_tenancy::TenantDb::new(pool);
    let tenant: uuid::Uuid = {
        let mut tx = db.platform().await.unwrap();
        sqlx::query_scalar("select id from tenants where handle = 'policy-shop'")
            .fetch_one(&mut tx)
            .await
            .unwrap()
    };
    let mut tx = db
        .begin(platform_tenancy::TenantId::from_uuid(tenant))
        .await
        .unwrap();
    let err = sqlx::query("update privacy_policies set body = 'rewritten' where version = 1")
        .execute(&mut tx)
        .await;
    assert!(err.is_err());

    // A future effective date announces the change before it applies.
    let later = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let (status, body) = s
        .post(
            "/api/v1/privacy-policies/draft/publish",
            json!({ "effective_at": later }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    let (_, versions) = s.get("/api/v1/privacy-policies").await;
    let v2 = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == 2)
        .unwrap();
    assert_eq!(v2["status"], "published");
    assert_eq!(v2["body"], "Changed terms.");
    let effective = chrono::DateTime::parse_from_rfc3339(v2["effective_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(effective > chrono::Utc::now() + chrono::Duration::days(29));
    // A change cannot be dated in the past to skip the notice.
    s.send(
        Method::PUT,
        "/api/v1/privacy-policies/draft",
        Some(json!({ "body": "Sneaky terms." })),
    )
    .await;
    let earlier = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let (status, body) = s
        .post(
            "/api/v1/privacy-policies/draft/publish",
            json!({ "effective_at": earlier }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "policy.effective_in_past");
    let (status, body) = s
        .send(
            Method::PUT,
            "/api/v1/privacy-policies/draft",
            Some(json!({ "body": "" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "policy.body_invalid");
}

#[tokio::test]
async fn o2_checkout_fields_are_configurable_and_validated() {
    let app = App::start().await;
    let s = app.shop("settings-shop").await;
    let (status, mut settings) = s.get("/api/v1/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["checkout_fields"]["phone"], "optional");
    assert_eq!(
        settings["host_names"],
        json!(["settings-shop.shop.localhost"])
    );

    settings["checkout_fields"]["phone"] = json!("hidden");
    settings["display_name"] = json!("Renamed");
    let (status, saved) = s
        .send(Method::PUT, "/api/v1/settings", Some(settings.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["checkout_fields"]["phone"], "hidden");
    assert_eq!(saved["cart_ttl_days"], 30);

    // How long carts live is the shop's choice, within bounds (O4, O15).
    let mut shorter = settings.clone();
    shorter["cart_ttl_days"] = json!(7);
    let (status, saved) = s.send(Method::PUT, "/api/v1/settings", Some(shorter)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved["cart_ttl_days"], 7);
    for days in [0, 91] {
        let mut bad = settings.clone();
        bad["cart_ttl_days"] = json!(days);
        let (status, body) = s.send(Method::PUT, "/api/v1/settings", Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "settings.cart_ttl_invalid");
    }

    let mut bad = settings.clone();
    bad["checkout_fields"]["phone"] = json!("mandatory");
    let (status, body) = s.send(Method::PUT, "/api/v1/settings", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "settings.checkout_fields_invalid");

    // A host name of another shop is refused without saying whose it is: under the
    // shop domain a shop has its own handle's host only, whoever holds the others
    // (issue 10 #3: www., checkout. or another merchant's future handle).
    app.shop("other-shop").await;
    for claimed in [
        "other-shop.shop.localhost",
        "www.shop.localhost",
        "checkout.shop.localhost",
        "future-shop.shop.localhost",
    ] {
        let mut stolen = settings.clone();
        stolen["host_names"] = json!(["settings-shop.shop.localhost", claimed]);
        let (status, body) = s.send(Method::PUT, "/api/v1/settings", Some(stolen)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{claimed}");
        assert_eq!(body["error"]["code"], "settings.host_not_allowed");
        assert!(!body.to_string().contains("other-shop\""));
    }
    // …so the future merchant's sign-up still works.
    app.shop("future-shop").await;
}

#[tokio::test]
async fn console_pages_manage_settings_policy_and_csv_with_csrf() {
    let app = App::start().await;
    let s = app.shop("console-shop").await;
    let page = |path: &'static str| {
        let (c, url) = (s.client.clone(), format!("{}{path}", s.base));
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page("/settings").await.contains("Checkout fields"));

    // Settings form: phone hidden, saved; a forged token is refused.
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("display_name", "Console Shop".to_owned()),
            ("contact_email", "hello@console.example".to_owned()),
            ("currency", "EUR".to_owned()),
            ("host_names", "console-shop.shop.localhost".to_owned()),
            ("cart_ttl_days", "14".to_owned()),
            ("name", "required".to_owned()),
            ("email", "required".to_owned()),
            ("phone", "hidden".to_owned()),
            ("address", "optional".to_owned()),
        ]
    };
    let res = s
        .client
        .post(format!("{}/settings", s.base))
        .form(&form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .client
        .post(format!("{}/settings", s.base))
        .form(&form(&s.csrf))
        .send()
        .await
        .unwrap();
    // Post, redirect, get: the saved page says so, and a reload sends nothing again.
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/settings?done=saved");
    assert!(
        s.page("/settings?done=saved")
            .await
            .contains("Settings saved.")
    );
    assert_eq!(
        s.get("/api/v1/settings").await.1["checkout_fields"]["phone"],
        "hidden"
    );

    // Privacy policy: draft, then publish.
    let res = s
        .client
        .post(format!("{}/privacy/draft", s.base))
        .form(&[("csrf", s.csrf.as_str()), ("body", "We protect your data.")])
        .send()
        .await
        .unwrap();
    // Post, redirect, get: a reload of the answer sends nothing again.
    let follow = |res: reqwest::Response| {
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/privacy?done="), "{to}");
        let (c, url) = (s.client.clone(), format!("{}{to}", s.base));
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(follow(res).await.contains("Draft saved."));
    let res = s
        .client
        .post(format!("{}/privacy/publish", s.base))
        .form(&[("csrf", s.csrf.as_str()), ("effective_on", "")])
        .send()
        .await
        .unwrap();
    assert!(follow(res).await.contains("Version 1 published."));
    // A refused policy form comes back as typed, the problem under its field.
    let (status, page) = s
        .post_form(
            "/privacy/notice",
            &[("csrf", s.csrf.clone()), ("days", "ten".into())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("value=\"ten\" aria-invalid=\"true\" aria-describedby=\"days-error\""),
        "{page}"
    );
    let (status, page) = s
        .post_form(
            "/privacy/draft",
            &[
                ("csrf", s.csrf.clone()),
                ("body", format!("Kept as typed. {}", "x".repeat(100_001))),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("aria-describedby=\"body-error\">Kept as typed."),
        "{}",
        &page[..page.len().min(3000)]
    );

    // CSV upload: a bad file lists its lines and stores nothing; a good one imports.
    let upload = |csv: String, csrf: String| {
        let (c, url) = (s.client.clone(), format!("{}/catalog", s.base));
        async move {
            let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("catalog.csv"),
            );
            let res = c.post(url).multipart(form).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let bad = format!("{HEADER}mug,Mug,,active,,,MUG-1,,abc,EUR,,\n");
    let (status, html) = upload(bad.clone(), "forged".to_owned()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let (status, html) = upload(bad, s.csrf.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Line 2:") && html.contains("Nothing was imported"),
        "{html}"
    );
    assert_eq!(s.get("/api/v1/products").await.1, json!([]));
    let (status, html) = upload(
        format!("{HEADER}mug,Mug,,active,,,MUG-1,,1200,EUR,3,\n"),
        s.csrf.clone(),
    )
    .await;
    // Post/redirect/get: the summary is on the page the import redirects to.
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let html = s
        .page("/catalog?products=1&created=1&variants=1&fetched=0&kept=0")
        .await;
    assert!(
        html.contains("Imported 1 products (1 new) with 1 variants."),
        "{html}"
    );
}

#[tokio::test]
async fn console_edits_products_variants_and_collections() {
    let app = App::start().await;
    let s = app.shop("edit-shop").await;
    let (_, product) = s.post("/api/v1/products", mug()).await;
    let id = product["id"].as_str().unwrap().to_owned();
    let vid = product["variants"][0]["id"].as_str().unwrap().to_owned();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let c = s.client.clone();
        let url = format!("{}{path}", s.base);
        async move {
            let res = c.post(url).form(&form).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let page = s.page(&format!("/products/{id}")).await;
    assert!(page.contains("Edit Blue Mug") && page.contains("MUG-S"));

    let (status, _) = post(
        format!("/products/{id}"),
        vec![
            ("csrf", s.csrf.clone()),
            ("title", "Big Blue Mug".into()),
            ("handle", "big-blue-mug".into()),
            ("description", "Bigger.".into()),
            ("status", "active".into()),
            ("featured", "true".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, p) = s.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(p["title"], "Big Blue Mug");

    let (status, html) = post(
        format!("/variants/{vid}"),
        vec![
            ("csrf", s.csrf.clone()),
            ("product_id", id.clone()),
            ("sku", "MUG-S".into()),
            ("opt1", "S".into()),
            ("price", "abc".into()),
            ("stock", "4".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Please enter the price"), "{html}");
    let (status, _) = post(
        format!("/variants/{vid}"),
        vec![
            ("csrf", s.csrf.clone()),
            ("product_id", id.clone()),
            ("sku", "MUG-S".into()),
            ("opt1", "S".into()),
            ("price", "13.00".into()),
            ("stock", "4".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post(
        format!("/products/{id}/variants"),
        vec![
            ("csrf", s.csrf.clone()),
            ("sku", "MUG-XL".into()),
            ("title", "XL".into()),
            ("price", "19.5".into()),
            ("stock", "1".into()),
            ("opt1", "XL".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, p) = s.get(&format!("/api/v1/products/{id}")).await;
    let variants = p["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3);
    assert!(
        variants
            .iter()
            .any(|v| v["sku"] == "MUG-S" && v["price_minor"] == 1300 && v["stock"] == 4)
    );
    assert!(
        variants.iter().any(|v| v["sku"] == "MUG-XL"
            && v["price_minor"] == 1950
            && v["options"]["size"] == "XL")
    );

    let (status, _) = post(
        "/collections".into(),
        vec![("csrf", s.csrf.clone()), ("title", "Kitchen".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, cols) = s.get("/api/v1/collections").await;
    let cid = cols[0]["id"].as_str().unwrap().to_owned();
    // The console shows where the collection is in the shop.
    let page = s.page(&format!("/collections/{cid}")).await;
    assert!(
        page.contains("In your shop at")
            && page.contains("edit-shop.")
            && page.contains("/collections/kitchen\""),
        "{page}"
    );
    let (status, _) = post(
        format!("/collections/{cid}/products"),
        vec![
            ("csrf", s.csrf.clone()),
            ("product_id", id.clone()),
            ("member", "true".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        s.get(&format!("/api/v1/collections/{cid}")).await.1["product_ids"],
        json!([id])
    );
    let (status, _) = post(
        format!("/collections/{cid}/products"),
        vec![
            ("csrf", "forged".into()),
            ("product_id", id.clone()),
            ("member", "false".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Deleting asks first: the edit page links to a confirmation page; the product is
    // still there until that page's button is pressed.
    let edit = s.page(&format!("/products/{id}")).await;
    assert!(
        edit.contains(&format!("href=\"/products/{id}/delete\"")),
        "{edit}"
    );
    let ask = s.page(&format!("/products/{id}/delete")).await;
    assert!(
        ask.contains("This cannot be undone") && ask.contains("Keep it"),
        "{ask}"
    );
    assert_eq!(
        s.get(&format!("/api/v1/products/{id}")).await.0,
        StatusCode::OK
    );
    let res = s
        .client
        .post(format!("{}/products/{id}/delete", s.base))
        .form(&[("csrf", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/products?done=deleted");
    assert_eq!(
        s.get(&format!("/api/v1/products/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let list = s.page("/products?done=deleted").await;
    assert!(list.contains("The product was deleted."), "{list}");
}

#[tokio::test]
async fn a_shop_prices_in_one_currency_only() {
    let app = App::start().await;
    let s = app.shop("euro-shop").await;
    let (status, product) = s.post("/api/v1/products", mug()).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = product["id"].as_str().unwrap().to_owned();

    // The API refuses a variant in another currency…
    let (status, body) = s
        .post(
            &format!("/api/v1/products/{id}/variants"),
            json!({ "sku": "MUG-CHF", "price_minor": 8900, "currency": "CHF" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "variant.currency_mismatch");

    // …so does the CSV import, naming the line…
    let csv = format!(
        "{HEADER}mug-2,Mug,,active,,,MUG-2,,1200,EUR,3,\nmug-3,Mug,,active,,,MUG-3,,8900,CHF,3,\n"
    );
    let res = s
        .client
        .post(format!("{}/api/v1/catalog.csv", s.base))
        .header("x-csrf-token", &s.csrf)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "catalog.csv_invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3:"),
        "{body}"
    );

    // …and the database itself, whoever writes as the service role.
    let db = platform_tenancy::TenantDb::new(app.db.pool_as("tenant_admin", 1).await.unwrap());
    let tenant: platform_tenancy::TenantId = s.get("/api/v1/me").await.1["tenant_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut tx = db.begin(tenant).await.unwrap();
    let refused = sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, price_minor, currency) \
         values ($1, gen_random_uuid(), $2::uuid, 'RAW-CHF', 100, 'CHF')",
    )
    .bind(tenant)
    .bind(&id)
    .execute(&mut tx)
    .await
    .unwrap_err();
    assert_eq!(
        refused.as_database_error().and_then(|e| e.constraint()),
        Some("variants_shop_currency")
    );
    drop(tx);

    // The shop's currency does not change under priced products, silently or otherwise.
    let (_, mut settings) = s.get("/api/v1/settings").await;
    settings["currency"] = json!("CHF");
    let (status, body) = s
        .send(Method::PUT, "/api/v1/settings", Some(settings.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "settings.currency_in_use");
    assert_eq!(s.get("/api/v1/settings").await.1["currency"], "EUR");

    // Once nothing is priced, it may.
    let (status, _) = s
        .send(Method::DELETE, &format!("/api/v1/products/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, saved) = s
        .send(Method::PUT, "/api/v1/settings", Some(settings))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["currency"], "CHF");
}

#[tokio::test]
async fn the_api_document_describes_routes_that_exist() {
    let app = App::start().await;
    let s = app.shop("doc-shop").await;
    let (status, doc) = s.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["info"]["title"], "Shop admin API");
    let mut operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    // Logging out ends the session the other calls use: last.
    operations.sort_by_key(|(path, _)| path.ends_with("/logout"));
    assert!(operations.len() >= 25, "{operations:?}");
    let any_id = "0b6f7a4e-5c1d-4e8f-9a2b-3c4d5e6f7a8b";
    for (path, method) in &operations {
        let concrete = path.replace("{id}", any_id).replace("{product_id}", any_id);
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let (status, answer) = s.send(method.clone(), &concrete, body).await;
        assert_ne!(
            answer["error"]["code"], "route.not_found",
            "{method} {path} is documented but not routed"
        );
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        // This console runs without an orders service: its order routes answer the
        // coded 503 that says so.
        assert!(
            !status.is_server_error() || answer["error"]["code"] == "orders.unavailable",
            "{method} {path}: {status} {answer}"
        );
    }
}

#[tokio::test]
async fn nul_bytes_in_bodies_answer_a_coded_4xx_and_store_nothing() {
    let app = App::start().await;
    let s = app.shop("nul-shop").await;
    for (path, body) in [
        ("/api/v1/products", json!({ "title": "a\u{0}b" })),
        ("/api/v1/collections", json!({ "title": "a\u{0}b" })),
    ] {
        let (status, answer) = s.post(path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "request.control_character");
    }
    let (status, answer) = s
        .send(
            Method::PUT,
            "/api/v1/privacy-policies/draft",
            Some(json!({ "body": "We keep\u{0} nothing." })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let res = app
        .client()
        .post(app.url("/api/v1/signup"))
        .json(
            &json!({ "handle": "nul-two", "display_name": "N\u{0}", "currency": "EUR",
                        "email": "o@nul.example", "password": crate::PASSWORD }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A console form reaches the same refusal through the text rules.
    let res = s
        .client
        .post(format!("{}/collections", s.base))
        .form(&[("csrf", s.csrf.as_str()), ("title", "a\u{0}b")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s.get("/api/v1/products").await.1, json!([]));
    assert_eq!(s.get("/api/v1/collections").await.1, json!([]));
    // Wrong shapes name the field, never a Rust type.
    let (status, answer) = s.post("/api/v1/products", json!({ "titel": "x" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("title") && !message.contains("struct"),
        "{message}"
    );
}

#[tokio::test]
async fn console_answers_are_never_cached_and_big_imports_get_a_coded_413() {
    let app = App::start().await;
    let s = app.shop("nostore-shop").await;
    for path in [
        "/api/v1/me",
        "/api/v1/catalog.csv",
        "/products",
        "/settings",
    ] {
        let res = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let css = s
        .client
        .get(format!("{}/assets/admin.css", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["cache-control"], "public, max-age=3600");

    let big = format!("{HEADER}{}", "x".repeat(11 * 1024 * 1024));
    let res = s
        .client
        .post(format!("{}/api/v1/catalog.csv", s.base))
        .header("x-csrf-token", &s.csrf)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "catalog.csv_too_large");
}

#[tokio::test]
async fn text_keeps_its_paragraphs_the_same_whether_typed_sent_or_imported() {
    let app = App::start().await;
    let s = app.shop("prose-shop").await;
    let typed = "Warm and dry.\r\nFor every trail.\r\n\r\n\r\nCare: brush off mud.  \r\n";
    let stored = "Warm and dry.\nFor every trail.\n\nCare: brush off mud.";
    // Typed in the console's form (browsers send CRLF).
    let res = s
        .client
        .post(app.url("/products/new"))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("title", "Typed"),
            ("description", typed),
            ("sku", "TYPED-1"),
            ("price", "9.90"),
            ("stock", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Sent through the API, and imported by CSV (a quoted field with LF).
    let (status, _) = s
        .post(
            "/api/v1/products",
            json!({ "title": "Sent", "description": typed,
                    "variants": [{ "sku": "SENT-1", "price_minor": 990, "stock": 3 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let csv = format!("{HEADER}imported,Imported,\"{stored}\",draft,,,IMP-1,,990,EUR,3,\n");
    let res = s.import_csv(csv).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let (_, list) = s.get("/api/v1/products").await;
    let descriptions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["description"].as_str().unwrap())
        .collect();
    assert_eq!(descriptions, [stored, stored, stored], "{list}");
    // A policy typed in the console is stored the same way.
    let res = s
        .client
        .post(format!("{}/privacy/draft", s.base))
        .form(&[("csrf", s.csrf.as_str()), ("body", typed)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/privacy?done=draft");
    let (_, versions) = s.get("/api/v1/privacy-policies").await;
    assert_eq!(versions[0]["body"], stored, "{versions}");
}

#[tokio::test]
async fn the_new_product_form_takes_a_decimal_comma_and_features_nothing_unasked() {
    let app = App::start().await;
    let s = app.shop("comma-shop").await;
    let form = |title: &'static str, sku: &'static str, price: &'static str, featured: bool| {
        let mut form = vec![
            ("csrf", s.csrf.clone()),
            ("title", title.to_owned()),
            ("sku", sku.to_owned()),
            ("price", price.to_owned()),
            ("stock", "3".to_owned()),
            ("status", "active".to_owned()),
        ];
        if featured {
            form.push(("featured", "true".to_owned()));
        }
        let (c, url) = (s.client.clone(), app.url("/products/new"));
        async move {
            let res = c.post(url).form(&form).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    assert_eq!(
        form("Plain", "PLAIN-1", "249,00", false).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        form("Star", "STAR-1", "12.5", true).await.0,
        StatusCode::SEE_OTHER
    );
    let (status, page) = form("Odd", "ODD-1", "1.249,00", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The message sits under the price, which is marked and described by it; what was
    // typed stays.
    assert!(
        page.contains(
            "value=\"1.249,00\" aria-invalid=\"true\" aria-describedby=\"price-error\">\
             <p class=\"field-error\" id=\"price-error\" role=\"alert\">Please enter the price as a number"
        ) && page.contains("value=\"ODD-1\""),
        "{page}"
    );
    // A taken SKU is said under the SKU.
    let (status, page) = form("Again", "PLAIN-1", "5", false).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("aria-describedby=\"sku-error\"") && !page.contains("<p class=\"error\""),
        "{page}"
    );
    let (_, list) = s.get("/api/v1/products").await;
    let by_title = |t: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == t)
            .cloned()
            .unwrap_or_else(|| panic!("{t} in {list}"))
    };
    let plain = by_title("Plain");
    assert_eq!(plain["variants"][0]["price_minor"], 24900);
    assert_eq!(plain["featured"], false);
    assert_eq!(by_title("Star")["featured"], true);
    assert_eq!(by_title("Star")["variants"][0]["price_minor"], 1250);
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "nothing stored for the refused one"
    );
}

#[tokio::test]
async fn the_home_page_says_what_to_do_next_and_the_menu_marks_the_page() {
    let app = App::start().await;
    let s = app.shop("home-shop").await;
    let home = s.page("/").await;
    assert!(
        home.contains("href=\"/products/new\">Add your first product")
            && home.contains("Publish your privacy policy")
            && home.contains("Choose where you ship")
            && home.contains("Your second factor protects your account")
            && home.contains("href=\"https://home-shop."),
        "{home}"
    );
    // Without the orders service the page still answers, and says so.
    assert!(home.contains("Orders cannot be shown right now"), "{home}");
    assert!(
        home.contains("<a href=\"/\" aria-current=\"page\">Home</a>"),
        "{home}"
    );
    assert!(
        home.contains("href=\"/settings/look\">Give your shop its look")
            && home.contains("href=\"/collections\">Group products in collections"),
        "{home}"
    );
    let (status, _) = s.post("/api/v1/products", mug()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = s
        .post(
            "/api/v1/collections",
            json!({ "title": "Mugs", "in_menu": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let home = s.page("/").await;
    assert!(
        home.contains("1 product in your catalog")
            && home.contains("Your shop's menu links 1 collection"),
        "{home}"
    );
    let new = s.page("/products/new").await;
    assert!(
        new.contains("<a href=\"/products/new\" aria-current=\"page\">New product</a>")
            && new.contains("<a href=\"/products\">Products</a>"),
        "{new}"
    );
}

#[tokio::test]
async fn the_shops_look_takes_a_dark_enough_colour_and_a_banner() {
    let app = App::start().await;
    let s = app.shop("look-shop").await;
    let (status, look) = s.get("/api/v1/look").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(look["accent_color"], "#0f766e");
    // Too light for white text on buttons: refused, with the contrast it has.
    let (status, body) = s
        .put(
            "/api/v1/look",
            json!({ "accent_color": "#FFD700", "banner_title": "", "banner_text": "" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "look.accent_too_light");
    let (status, look) = s
        .put(
            "/api/v1/look",
            json!({ "accent_color": "#1D4ED8", "banner_title": "Gear for long days",
                    "banner_text": "Boots that last." }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{look}");
    assert_eq!(look["accent_color"], "#1d4ed8");
    // The console's form: a refusal keeps what was typed; a save says so.
    let res = s
        .client
        .post(app.url("/settings/look"))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("accent_color", "#eeeeee"),
            ("banner_title", "Kept as typed"),
            ("banner_text", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("value=\"Kept as typed\"") && page.contains("too light"),
        "{page}"
    );
    let res = s
        .client
        .post(app.url("/settings/look"))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("accent_color", "#9a3412"),
            ("banner_title", "Tea"),
            ("banner_text", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/settings/look?done=saved");
    assert_eq!(s.get("/api/v1/look").await.1["banner_title"], "Tea");
}

#[tokio::test]
async fn the_settings_form_keeps_what_was_typed_and_says_what_is_wrong_beside_it() {
    let app = App::start().await;
    let s = app.shop("settings-form").await;
    let hosts: Vec<String> = s.get("/api/v1/settings").await.1["host_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    let form = |email: &str, ttl: &str| {
        vec![
            ("csrf", s.csrf.clone()),
            ("display_name", "Renamed Shop".to_owned()),
            ("contact_email", email.to_owned()),
            ("currency", "EUR".to_owned()),
            ("host_names", hosts.join("\n")),
            ("cart_ttl_days", ttl.to_owned()),
            ("name", "required".to_owned()),
            ("email", "required".to_owned()),
            ("phone", "hidden".to_owned()),
            ("address", "optional".to_owned()),
        ]
    };
    let (status, page) = s
        .post_form("/settings", &form("not an address", "30"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("value=\"Renamed Shop\"")
            && page.contains("value=\"not an address\" aria-invalid=\"true\" aria-describedby=\"contact_email-error\"")
            && page.contains("<option value=\"hidden\" selected>"),
        "{page}"
    );
    let (status, page) = s
        .post_form("/settings", &form("shop@example.org", "a month"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(
            "value=\"a month\" aria-invalid=\"true\" aria-describedby=\"cart_ttl_days-error\""
        ),
        "{page}"
    );
    // Nothing was saved by the refusals; a good form saves and says so.
    assert_ne!(
        s.get("/api/v1/settings").await.1["display_name"],
        "Renamed Shop"
    );
    let (status, _) = s
        .post_form("/settings", &form("shop@example.org", "30"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        s.page("/settings?done=saved")
            .await
            .contains("Settings saved.")
    );
    assert_eq!(
        s.get("/api/v1/settings").await.1["display_name"],
        "Renamed Shop"
    );
}
