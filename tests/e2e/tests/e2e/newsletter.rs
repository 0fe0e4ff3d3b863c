//! O17 end to end: a buyer ticks the (unticked) marketing box at checkout and a visitor
//! signs up on the newsletter page; both confirm by the mailed link; the owner previews
//! and sends a newsletter from the console; it arrives with RFC 8058 headers and a
//! visible link; opening the link unsubscribes nobody; the one-click POST a mail program
//! sends (no cookie, from another site) answers 200 without a redirect, and the very
//! next newsletter leaves the buyer out.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::merchant_orders::Shop;
use crate::privacy_requests::{count_of, token_after, wait_for, wait_for_nth};

/// The newest mail to `to` with `subject`, whole (headers and text).
async fn whole_mail(to: &str, subject: &str) -> serde_json::Value {
    wait_for(to, subject).await;
    platform_testkit::wait_for_mail(to, 1)
        .await
        .into_iter()
        .rev()
        .find(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
        .unwrap()
}

async fn confirm(shop: &Shop, http: &reqwest::Client, to: &str) {
    let text = wait_for(to, "Please confirm").await;
    let token = token_after(&text, "/newsletter/confirm/");
    let page = http
        .get(shop.shop(&format!("/newsletter/confirm/{token}")))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Yes, send me the news"));
    let confirmed = http
        .post(shop.shop(&format!("/newsletter/confirm/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(
        confirmed
            .text()
            .await
            .unwrap()
            .contains("You are subscribed")
    );
}

async fn send(shop: &Shop, subject: &str, expect: usize) {
    let fields = [
        ("subject", subject),
        ("body", "New boots are in.\n\nCome and see."),
    ];
    let preview = shop.submit("/newsletter/review", &fields).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = preview.text().await.unwrap();
    assert!(
        preview.contains(&format!("Send to {expect} confirmed subscribers")),
        "{preview}"
    );
    let sent = shop.submit("/newsletter/send", &fields).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sent.headers()[LOCATION],
        format!("/newsletter?sent={expect}").as_str()
    );
}

#[tokio::test]
async fn o17_double_opt_in_newsletters_and_a_one_click_unsubscribe_that_holds_from_the_next_send() {
    let shop = Shop::new(true).await;
    let http = shop.visitor().clone();
    let buyer = shop.buyer_email().to_owned();
    let reader = format!("reader-{}", buyer);

    shop.buy(true).await;
    let form = http
        .post(shop.shop("/newsletter"))
        .form(&[("email", reader.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("Check your inbox"));
    let page = shop.page("/newsletter").await;
    assert!(
        page.contains("0</strong> confirmed subscribers · 2 waiting"),
        "{page}"
    );
    assert!(!page.contains(&buyer), "the console names no subscriber");

    confirm(&shop, &http, &buyer).await;
    confirm(&shop, &http, &reader).await;
    send(&shop, "Spring boots", 2).await;

    let mail = whole_mail(&buyer, "Spring boots").await;
    let header = mail["headers"]["list-unsubscribe"].as_str().unwrap();
    assert!(
        header.contains("<https://") && header.contains("<mailto:"),
        "{header}"
    );
    assert_eq!(
        mail["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    let text = mail["text"].as_str().unwrap();
    let token = token_after(header, "/unsubscribe/");
    assert!(text.contains(&format!("/unsubscribe/{token}")), "{text}");

    // Opening the link (a mail scanner, a preview) unsubscribes nobody.
    let url = shop.shop(&format!("/unsubscribe/{token}"));
    let opened = http.get(&url).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    assert!(opened.text().await.unwrap().contains("Unsubscribe"));
    assert!(
        shop.page("/newsletter")
            .await
            .contains("2</strong> confirmed")
    );

    // The mail program's one-click POST: no cookie, from its own servers, another site.
    let one_click = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), StatusCode::OK);
    assert!(one_click.headers().get(LOCATION).is_none());
    assert!(
        one_click
            .text()
            .await
            .unwrap()
            .contains("You are unsubscribed")
    );

    send(&shop, "Summer boots", 1).await;
    wait_for_nth(&reader, "boots", 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count_of(&buyer, "Summer boots").await, 0);
    let page = shop.page("/newsletter").await;
    assert!(
        page.contains("1</strong> confirmed subscribers · 0 waiting to confirm · 1 unsubscribed"),
        "{page}"
    );
}
