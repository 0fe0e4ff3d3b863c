//! The whole purchase in headless Chromium: a visitor buys two products with cookies, and
//! another without, pays on the processor's page (its own origin), comes back and sees
//! the confirmation, and gets the mail; the merchant opens the order in the console,
//! marks it shipped, and the carrier simulator receives the delivery fields only (O1, O3,
//! O4, O6, O12). Screenshots go to `target/e2e/`.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{add_to_cart, at_phone_width, click, fill, shot, start_browser};
use crate::merchant_orders::{Shop, wait_for_mail};

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// One buyer's purchase; returns the order page's text.
async fn buy(c: &Client, store: &str, cookies: bool, email: &str, name: &str) -> String {
    add_to_cart(c, store, "trail-boots").await;
    let url = c.current_url().await.unwrap();
    let prefix = if cookies {
        "/".to_owned()
    } else {
        assert!(url.path().starts_with("/c/"), "{url}");
        url.path().trim_end_matches("cart").to_owned()
    };
    c.goto(&format!("{store}{prefix}products/rain-shell"))
        .await
        .unwrap();
    click(c, "form.variants button[type=submit]").await;
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
        .await
        .unwrap();
    let cart = text_of(c, "main").await;
    assert!(
        cart.contains("Trail Boots") && cart.contains("Rain Shell"),
        "{cart}"
    );
    at_phone_width(c, "30-cart").await;
    fill(c, "name", "Ada Lovelace").await;
    fill(c, "email", email).await;
    fill(c, "phone", "+49 30 1234").await;
    fill(c, "address_line1", "Hauptstraße 1").await;
    fill(c, "postal_code", "10115").await;
    fill(c, "city", "Berlin").await;
    // The country is chosen by its name from a list.
    click(c, "#country option[value='DE']").await;
    let chosen = c
        .find(Locator::Css("#country option:checked"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(chosen, "Germany");
    click(c, "form.details button[type=submit]").await;
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Your cart']"))
        .await
        .unwrap();
    click(c, "p.actions a.button").await;
    let place = c
        .wait()
        .for_element(Locator::Css("form.place button[type=submit]"))
        .await
        .unwrap();
    assert_eq!(place.text().await.unwrap(), "Place order · 212.90 EUR");
    shot(c, &format!("21-{name}-review")).await;
    place.click().await.unwrap();
    // The processor's own page: the card is typed here and nowhere else.
    c.wait().for_element(Locator::Id("number")).await.unwrap();
    let here = c.current_url().await.unwrap();
    assert!(here.path().starts_with("/pay/pay_"), "{here}");
    assert!(!here.as_str().contains(".shop.localhost"), "{here}");
    fill(c, "number", "4000 0000 0000 0002").await;
    fill(c, "exp", "12/34").await;
    fill(c, "cvc", "123").await;
    click(c, "form button[type=submit]").await;
    let declined = c.wait().for_element(Locator::Css("p.error")).await.unwrap();
    assert!(declined.text().await.unwrap().contains("declined"));
    fill(c, "number", "4242 4242 4242 4242").await;
    fill(c, "exp", "12/34").await;
    fill(c, "cvc", "123").await;
    shot(c, &format!("22-{name}-processor")).await;
    click(c, "form button[type=submit]").await;
    let notice = c
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert!(
        notice
            .text()
            .await
            .unwrap()
            .contains("your payment was received"),
        "{}",
        c.source().await.unwrap()
    );
    shot(c, &format!("23-{name}-confirmed")).await;
    text_of(c, "main").await
}

#[tokio::test]
async fn o1_o3_o6_a_visitor_buys_and_pays_with_and_without_cookies_and_the_merchant_ships() {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: `cargo xtask test` installs Debian's chromium and chromium-driver"
        );
    }
    let shop = Shop::new(true).await;
    let res = shop
        .console(reqwest::Method::POST, "/api/v1/products")
        .json(&json!({ "title": "Rain Shell", "status": "active",
                       "variants": [{ "sku": "SHELL", "price_minor": 8900, "stock": 5 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let store = shop.shop("");

    let mut buyers = Vec::new();
    for (cookies, name) in [(true, "cookies"), (false, "no-cookies")] {
        let email = format!("{name}-{}@example.org", uuid::Uuid::new_v4().simple());
        let profile = tempfile::tempdir().unwrap();
        let (_driver, c) = start_browser(profile.path(), cookies).await;
        let page = buy(&c, &store, cookies, &email, name).await;
        assert!(
            page.contains("Paid, being prepared") && page.contains("Paid by visa ending in 4242"),
            "{page}"
        );
        assert!(!page.contains("Ada") && !page.contains(&email), "{page}");
        c.close().await.unwrap();
        buyers.push(email);
    }
    for email in &buyers {
        let mails = wait_for_mail(email, 1).await;
        assert!(
            mails.iter().any(|m| m["subject"]
                .as_str()
                .unwrap_or("")
                .ends_with("is confirmed")),
            "{mails:?}"
        );
    }

    // The merchant logs in, opens the first order and ships it with the carrier.
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start_browser(profile.path(), true).await;
    c.goto(&format!("{}/login", shop.admin)).await.unwrap();
    fill(&c, "shop", "alpine").await;
    fill(&c, "email", "owner@alpine.example").await;
    fill(&c, "password", crate::merchant_orders::PASSWORD).await;
    click(&c, "form.card button[type=submit]").await;
    // The owner's second factor: the code from the app.
    c.wait().for_element(Locator::Id("code")).await.unwrap();
    fill(&c, "code", &shop.authenticator.code().await).await;
    click(&c, "main form button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("a[href='/orders']"))
        .await
        .unwrap();
    c.goto(&format!("{}/orders", shop.admin)).await.unwrap();
    let list = text_of(&c, "main").await;
    assert!(list.contains("1001") && list.contains("1002"), "{list}");
    shot(&c, "24-console-orders").await;
    click(&c, "main table a[href^='/orders/']").await;
    c.wait()
        .for_element(Locator::Css("form[action$='/ship'] button"))
        .await
        .unwrap();
    let order = text_of(&c, "main").await;
    assert!(
        order.contains("Ada Lovelace") && order.contains("visa ending in 4242"),
        "{order}"
    );
    click(&c, "form[action$='/ship'] button").await;
    c.wait()
        .for_element(Locator::Css("form[action$='/deliver'] button"))
        .await
        .unwrap();
    let order = text_of(&c, "main").await;
    assert!(order.contains("Parcelsim"), "{order}");
    shot(&c, "25-console-shipped").await;
    c.close().await.unwrap();

    let received = shop.carrier.as_ref().unwrap().inbox.received();
    assert_eq!(received.len(), 1);
    crate::merchant_orders::assert_only_delivery_fields(&received[0].body);
}
