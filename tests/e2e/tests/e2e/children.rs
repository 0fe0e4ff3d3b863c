//! O19 end to end, in a shop whose owner says it sells to children: a visitor who says
//! they are under 13 has nothing kept and is sent to ask a parent or guardian; the
//! guardian reads what would be kept and agrees by the mailed link (and gets a second
//! mail confirming it); the child then enters their details and orders. A product marked
//! 13+ asks the age first and is refused to a visitor under 13.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};

use crate::merchant_orders::Shop;
use crate::privacy_requests::{token_after, wait_for};

fn details<'a>(email: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("name", "Little Ada"),
        ("email", email),
        ("address_line1", "Kinderweg 3"),
        ("postal_code", "10115"),
        ("city", "Berlin"),
        ("country", "DE"),
    ];
    form.extend_from_slice(extra);
    form
}

#[tokio::test]
async fn o19_a_child_orders_only_after_a_guardian_agreed_and_13_plus_pages_are_refused_to_them() {
    let shop = Shop::new(true).await;
    let on = shop
        .submit("/privacy/children", &[("sells_to_minors", "yes")])
        .await;
    assert_eq!(on.status(), StatusCode::SEE_OTHER);
    let back = on.headers()["location"].to_str().unwrap().to_owned();
    assert!(shop.page(&back).await.contains("asks each buyer's age"));
    let http = shop.visitor().clone();
    let child = format!("child-{}", shop.buyer_email());
    let guardian = format!("guardian-{}", shop.buyer_email());

    let added = http
        .post(shop.shop("/cart/add"))
        .form(&[("variant", shop.variant())])
        .send()
        .await
        .unwrap();
    let cart = added.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let cart_page = http
        .get(shop.shop("/cart"))
        .header("cookie", &cart)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cart_page.contains("name=\"age_band\""), "{cart_page}");

    // Under 13: nothing is kept; off to ask a parent or guardian.
    let under = http
        .post(shop.shop("/cart/details"))
        .header("cookie", &cart)
        .form(&details(&child, &[("age_band", "under_13")]))
        .send()
        .await
        .unwrap();
    assert_eq!(under.status(), StatusCode::SEE_OTHER);
    assert_eq!(under.headers()[LOCATION], "/checkout/guardian");
    let cart_page = http
        .get(shop.shop("/cart"))
        .header("cookie", &cart)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !cart_page.contains("Little Ada") && !cart_page.contains("Kinderweg"),
        "the child's details were kept"
    );

    let asked = http
        .post(shop.shop("/checkout/guardian"))
        .form(&[("guardian_email", guardian.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let waiting = asked.headers()[LOCATION].to_str().unwrap().to_owned();
    let handle = token_after(&waiting, "/checkout/guardian/");
    let page = http
        .get(shop.shop(&waiting))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Waiting for your parent or guardian"),
        "{page}"
    );

    // The guardian reads what would be kept and agrees; a second mail confirms it.
    let mail = wait_for(&guardian, "Your consent is needed").await;
    let token = token_after(&mail, "/guardian/");
    let consent_page = http
        .get(shop.shop(&format!("/guardian/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(consent_page.contains("payment processor") && consent_page.contains("I agree"));
    let agreed = http
        .post(shop.shop(&format!("/guardian/{token}")))
        .form(&[("decision", "consent")])
        .send()
        .await
        .unwrap();
    assert_eq!(agreed.status(), StatusCode::OK);
    assert!(agreed.text().await.unwrap().contains("you agreed"));
    let plus = wait_for(&guardian, "You agreed").await;
    assert!(plus.contains("/policies/privacy#your-data"), "{plus}");
    let page = http
        .get(shop.shop(&waiting))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/cart?guardian={handle}")), "{page}");

    // Now the child's details are kept, with the consent, and the order goes through.
    let saved = http
        .post(shop.shop("/cart/details"))
        .header("cookie", &cart)
        .form(&details(
            &child,
            &[("age_band", "under_13"), ("guardian", handle.as_str())],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(saved.headers()[LOCATION], "/cart");
    let review = http
        .get(shop.shop("/checkout"))
        .header("cookie", &cart)
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
    let placed = http
        .post(shop.shop("/checkout/place"))
        .header("cookie", &cart)
        .form(&[
            ("key", field("key")),
            ("expected_total", field("expected_total")),
            ("rate", field("rate")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        placed.status(),
        StatusCode::SEE_OTHER,
        "{}",
        placed.text().await.unwrap()
    );
    let orders = platform_tenancy::TenantDb::new(shop.db().pool_as("orders", 1).await.unwrap());
    let mut tx = orders
        .begin(crate::privacy_requests::tenant(&shop).await)
        .await
        .unwrap();
    let children: i64 = sqlx::query_scalar(
        "select count(*) from orders where age_band = 'under_13' and guardian_consent_id is not null",
    )
    .fetch_one(&mut tx)
    .await
    .unwrap();
    assert_eq!(children, 1);
    drop(tx);

    // A product the merchant marked 13+: asked first, refused under 13, never cached.
    let made = shop
        .console(reqwest::Method::POST, "/api/v1/products")
        .json(&serde_json::json!({ "title": "Pocket Knife", "status": "active", "thirteen_plus": true,
                                   "variants": [{ "sku": "KNIFE", "price_minor": 1900, "stock": 3 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let knife = shop.shop("/products/pocket-knife");
    let gate = http.get(&knife).send().await.unwrap();
    assert_eq!(gate.status(), StatusCode::OK);
    assert!(gate.text().await.unwrap().contains("Are you 13 or older?"));
    let refused = http
        .get(&knife)
        .header("cookie", "age_band=under_13")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let shown = http
        .get(format!("{knife}?age=13_plus"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert!(
        shown.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("age_band=13_plus")
    );
    assert_eq!(shown.headers()[CACHE_CONTROL], "private, no-store");
    assert!(shown.text().await.unwrap().contains("Pocket Knife"));
    let still_refused = http
        .get(&knife)
        .header("cookie", "age_band=under_13")
        .send()
        .await
        .unwrap();
    assert_eq!(
        still_refused.status(),
        StatusCode::FORBIDDEN,
        "a cached copy reached a child"
    );
}
