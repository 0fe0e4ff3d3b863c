//! A visitor's data requests in headless Chromium (O13, O14): after buying, they ask on
//! the privacy page for a copy of their data, confirm by the mailed link's button, open
//! the copy the owner sent; then they ask for erasure, confirm, and receive the signed
//! certificate, after which the old export link opens nothing. Screenshots go to
//! `target/e2e/`.

use fantoccini::{Client, Locator};

use crate::browser::{click, fill, main_text, shot, start_browser};
use crate::merchant_orders::Shop;
use crate::privacy_requests::{
    count_of, erase, newest_request, token_after, wait_for, wait_for_nth,
};

/// The visitor asks for `kind` on the privacy page and confirms by the mailed link.
async fn ask(c: &Client, shop: &Shop, store: &str, kind: &str, step: &str) {
    let asked = count_of(shop.buyer_email(), "Please confirm").await;
    c.goto(&format!("{store}/policies/privacy")).await.unwrap();
    click(c, &format!("input[name=kind][value={kind}]")).await;
    fill(c, "request-email", shop.buyer_email()).await;
    shot(c, &format!("40-privacy-{step}-ask")).await;
    click(c, "#your-data form button[type=submit]").await;
    c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Check your inbox']"))
        .await
        .unwrap();
    let mail = wait_for_nth(shop.buyer_email(), "Please confirm", asked + 1).await;
    // The link names the shop's public port; the test's storefront listens elsewhere.
    let token = token_after(&mail, "/privacy/confirm/");
    c.goto(&format!("{store}/privacy/confirm/{token}"))
        .await
        .unwrap();
    click(c, "main form button[type=submit]").await;
    if c.wait()
        .for_element(Locator::XPath("//main/h1[text()='Request confirmed']"))
        .await
        .is_err()
    {
        panic!("not confirmed: {}", c.source().await.unwrap());
    }
    shot(c, &format!("41-privacy-{step}-confirmed")).await;
}

#[tokio::test]
async fn o13_o14_a_visitor_gets_their_data_then_has_it_erased_with_a_certificate() {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let shipped = shop.submit(&format!("/orders/{order}/ship"), &[]).await;
    assert_eq!(shipped.status(), reqwest::StatusCode::SEE_OTHER);
    let store = shop.shop("");
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start_browser(profile.path(), true).await;

    // "Send me my data": confirmed, answered by the owner, opened by the link.
    ask(&c, &shop, &store, "access", "access").await;
    let id = newest_request(&shop).await;
    let sent = shop
        .submit(&format!("/requests/{id}/answer"), &[("step", "export")])
        .await;
    assert_eq!(sent.status(), reqwest::StatusCode::SEE_OTHER);
    let mail = wait_for(shop.buyer_email(), "Your data from").await;
    let export = token_after(&mail, "/privacy/export/");
    c.goto(&format!("{store}/privacy/export/{export}"))
        .await
        .unwrap();
    let page = main_text(&c).await;
    assert!(
        page.contains("Your data at Alpine")
            && page.contains("Ada Lovelace")
            && page.contains("Hauptstraße 1")
            && page.contains("mastercard ending in 4444")
            && page.contains("Who receives it"),
        "{page}"
    );
    shot(&c, "42-privacy-export").await;
    let json = c
        .find(Locator::Css("a[download]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(json.ends_with("/json"), "{json}");

    // "Delete my data": confirmed, erased by the owner, certified.
    ask(&c, &shop, &store, "erasure", "erasure").await;
    let id = newest_request(&shop).await;
    erase(&shop, &id).await;
    let certificate = wait_for(shop.buyer_email(), "was erased").await;
    assert!(
        certificate.contains("What was erased")
            && certificate.contains("What was kept")
            && certificate.contains("\"signature\""),
        "{certificate}"
    );
    // The earlier copy went with the rest (and no cache kept it).
    c.goto(&format!("{store}/privacy/export/{export}"))
        .await
        .unwrap();
    let gone = main_text(&c).await;
    assert!(gone.contains("does not work any more"), "{gone}");
    shot(&c, "43-privacy-erased").await;
    c.close().await.unwrap();
}
