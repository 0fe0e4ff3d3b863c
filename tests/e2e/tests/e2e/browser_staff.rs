//! Staff in headless Chromium (O8, O9, O22): the owner invites a fulfilment clerk; the
//! clerk accepts from the mail, sets up a second factor, opens an order and sees the
//! delivery name and address but not the email, phone, payment or IP; the owner then
//! finds those reads in the audit log. Screenshots go to `target/e2e/`.

use fantoccini::Locator;

use crate::browser::{click, enrol_second_factor, fill, main_text, shot, start_browser};
use crate::merchant_orders::{PASSWORD, Shop, wait_for_mail};

#[tokio::test]
async fn o8_o22_a_fulfilment_clerk_sees_the_address_only_and_the_owner_sees_the_reads() {
    let shop = Shop::new(true).await;
    let order = shop.buy_and_pay().await;
    let clerk_email = format!(
        "packer-{}@staff.example",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );

    // The owner logs in (password, then the code) and invites the clerk.
    let owner_profile = tempfile::tempdir().unwrap();
    let (_owner_driver, owner) = start_browser(owner_profile.path(), true).await;
    owner.goto(&format!("{}/login", shop.admin)).await.unwrap();
    fill(&owner, "shop", "alpine").await;
    fill(&owner, "email", "owner@alpine.example").await;
    fill(&owner, "password", PASSWORD).await;
    click(&owner, "form.card button[type=submit]").await;
    owner.wait().for_element(Locator::Id("code")).await.unwrap();
    fill(&owner, "code", &shop.authenticator.code().await).await;
    click(&owner, "main form button[type=submit]").await;
    owner
        .wait()
        .for_element(Locator::Css("a[href='/staff']"))
        .await
        .unwrap();
    owner.goto(&format!("{}/staff", shop.admin)).await.unwrap();
    fill(&owner, "email", &clerk_email).await;
    click(&owner, "#invite-fulfilment").await;
    shot(&owner, "30-staff-invite").await;
    click(
        &owner,
        "form[action='/staff/invitations'] button[type=submit]",
    )
    .await;
    let notice = owner
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert!(notice.text().await.unwrap().contains("Invitation sent"));

    // The clerk follows the link in the mail, chooses a password, sets up a code.
    let mail = wait_for_mail(&clerk_email, 1).await;
    let text = mail[0]["text"].as_str().unwrap();
    let link = text[text.find("https://").unwrap()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let clerk_profile = tempfile::tempdir().unwrap();
    let (_clerk_driver, clerk) = start_browser(clerk_profile.path(), true).await;
    clerk.goto(&link).await.unwrap();
    assert!(main_text(&clerk).await.contains("Fulfilment"));
    fill(&clerk, "password", PASSWORD).await;
    fill(&clerk, "confirm", PASSWORD).await;
    shot(&clerk, "31-staff-accept").await;
    click(&clerk, "main form button[type=submit]").await;
    enrol_second_factor(&clerk).await;
    shot(&clerk, "32-staff-codes").await;

    // The clerk opens the order: the delivery name and address, nothing else personal.
    clerk.goto(&format!("{}/orders", shop.admin)).await.unwrap();
    click(&clerk, "main table a[href^='/orders/']").await;
    clerk
        .wait()
        .for_element(Locator::Css("form[action$='/ship'] button"))
        .await
        .unwrap();
    let page = main_text(&clerk).await;
    shot(&clerk, "33-staff-fulfilment-order").await;
    for shown in [
        "Ada Lovelace",
        "Hauptstraße 1",
        "10115 Berlin",
        "Mark shipped",
    ] {
        assert!(page.contains(shown), "{shown} missing: {page}");
    }
    for hidden in [
        shop.buyer_email(),
        "+49 30 1234",
        "4444",
        "mastercard",
        "127.0.0.1",
        "Refund",
    ] {
        assert!(
            !page.contains(hidden),
            "{hidden} shown to fulfilment: {page}"
        );
    }
    assert!(page.contains("••••"), "{page}");

    // The owner finds the clerk's look in the audit log, filtered by the order: only the
    // clerk opened it, and the entry names what it showed.
    owner
        .goto(&format!("{}/audit?object=order:{order}", shop.admin))
        .await
        .unwrap();
    let log = main_text(&owner).await;
    shot(&owner, "34-audit-log").await;
    for shown in [
        clerk_email.as_str(),
        "fulfilment",
        "order.view",
        "contact, shipping",
    ] {
        assert!(log.contains(shown), "{shown} missing: {log}");
    }
}
