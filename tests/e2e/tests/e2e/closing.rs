//! Closing a shop end to end (GDPR Art. 28(3)(g), O11): the owner cannot close without a
//! fresh full export; after one, with the handle typed out, the shop closes in 14 days,
//! every member sees the date, and cancelling keeps it; asked again and due, the backup
//! worker deletes everything, the owner receives a signed deletion certificate, the
//! shop's address answers nothing and nobody signs in any more.

use reqwest::StatusCode;

use crate::merchant_orders::{PASSWORD, Shop};
use crate::privacy_requests::{backups, count_of, tenant, wait_for_nth};

const OWNER: &str = "owner@alpine.example";

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn o11_an_owner_closes_the_shop_and_receives_a_signed_deletion_certificate() {
    let shop = Shop::new(true).await;
    shop.buy_and_pay().await;
    // A picture of the product, served by the shop.
    let picture = shop.upload_picture().await;
    let address = shop.shop(&format!(
        "/images/{}/320.jpg",
        picture["id"].as_str().unwrap()
    ));
    let served = shop.visitor().get(&address).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let close = [("grace_days", "14"), ("confirm", "alpine")];

    // Without an export there is nothing to confirm.
    let page = shop.page("/close").await;
    assert!(page.contains("make one"), "{page}");
    let refused = shop.submit("/close", &close).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("full export"));

    // The full export, after password and code.
    shop.reauth().await;
    let made = shop.submit("/export", &[]).await.text().await.unwrap();
    assert!(made.contains("href=\"/export/"), "{made}");

    // A wrong handle is refused with the form kept; the right one schedules it.
    let wrong = shop
        .submit("/close", &[("grace_days", "14"), ("confirm", "alpin")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = wrong.text().await.unwrap();
    assert!(
        page.contains("value=\"alpin\" aria-invalid=\"true\" aria-describedby=\"confirm-error\"")
            && page.contains("id=\"confirm-error\" role=\"alert\""),
        "{page}"
    );
    let short = shop
        .submit("/close", &[("grace_days", "3"), ("confirm", "alpine")])
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = short.text().await.unwrap();
    assert!(
        page.contains("value=\"3\" aria-invalid=\"true\" aria-describedby=\"grace_days-error\""),
        "{page}"
    );
    let asked = shop.submit("/close", &close).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&asked), "/close?done=scheduled");
    let orders = shop.page("/orders").await;
    assert!(orders.contains("This shop closes on"), "{orders}");

    // Cancelling keeps the shop; asking again schedules it again.
    let kept = shop.submit("/close/cancel", &[]).await;
    assert_eq!(location(&kept), "/close?done=cancelled");
    assert!(!shop.page("/orders").await.contains("This shop closes on"));
    assert_eq!(
        shop.submit("/close", &close).await.status(),
        StatusCode::SEE_OTHER
    );
    let audit = shop.page("/audit").await;
    assert!(
        audit.contains("shop.close_requested") && audit.contains("shop.close_cancelled"),
        "{audit}"
    );

    // Not due yet: nothing happens. Due: everything goes.
    let tenant = tenant(&shop).await;
    let pictures = platform_images::ImageStore::new(&e2e::images().unwrap());
    assert_eq!(pictures.count_shop(tenant.as_uuid()).await.unwrap(), 3);
    let backups = backups(&shop).await.with_images(pictures.clone());
    let key = e2e::certificate_key().unwrap();
    let now = chrono::Utc::now();
    assert!(
        backups
            .close(tenant, now + chrono::Duration::days(13), &key)
            .await
            .unwrap()
            .is_none()
    );
    let certificate = backups
        .close(tenant, now + chrono::Duration::days(15), &key)
        .await
        .unwrap()
        .unwrap();
    assert!(
        certificate
            .deleted
            .iter()
            .any(|d| d.table == "public.orders" && d.rows == 1)
    );

    // The owner receives it, signed; it names no buyer.
    let before = count_of(OWNER, "deletion certificate").await;
    let mailer =
        platform_mail::Mailer::new(&platform_testkit::smtp_url(), "platform@test.localhost")
            .unwrap();
    assert_eq!(backups.send_certificates(&mailer).await.unwrap(), 1);
    let text = wait_for_nth(OWNER, "deletion certificate", before + 1).await;
    let json = &text[text.find('{').unwrap()..text.rfind('}').unwrap() + 1];
    let mailed: platform_audit::DeletionCertificate = serde_json::from_str(json).unwrap();
    assert_eq!(mailed, certificate);
    assert!(mailed.verifies(&key.verifying_key()));
    assert!(!json.contains(shop.buyer_email()) && !json.contains(OWNER));

    // The shop's address answers nothing; nobody signs in.
    let mut gone = StatusCode::OK;
    for _ in 0..50 {
        gone = shop
            .visitor()
            .get(shop.shop("/"))
            .send()
            .await
            .unwrap()
            .status();
        if gone == StatusCode::NOT_FOUND {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(gone, StatusCode::NOT_FOUND);
    // Its pictures are gone from the picture store too.
    assert_eq!(pictures.count_shop(tenant.as_uuid()).await.unwrap(), 0);
    assert_ne!(
        shop.console(reqwest::Method::GET, "/orders")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let login = platform_testkit::https_client(&shop.ca_pem)
        .unwrap()
        .cookie_store(true)
        .build()
        .unwrap();
    assert!(
        platform_testkit::console_login(&login, &shop.admin, "alpine", OWNER, PASSWORD, None)
            .await
            .is_err()
    );
}
