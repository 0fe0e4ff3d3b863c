//! Product pictures on the storefront (issue 16, O21): served in every stored width with
//! a year's cache, by the shop they belong to only, and only while their product is
//! active.

use platform_tenancy::TenantDb;
use reqwest::StatusCode;
use serde_json::json;

use crate::merchant_orders::Shop;

#[tokio::test]
async fn o21_a_shop_serves_only_the_pictures_of_its_own_active_products() {
    let shop = Shop::new(false).await;
    let picture = shop.upload_picture().await;
    let id = picture["id"].as_str().unwrap();
    assert_eq!(picture["widths"], json!([320, 640, 800]));

    // Every stored width, as a picture, kept for a year; no other width, no other type.
    for width in [320, 640, 800] {
        let res = shop
            .visitor()
            .get(shop.shop(&format!("/images/{id}/{width}.jpg")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{width}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    for other in ["100.jpg", "320.png", "320", "../320.jpg", "320.jpg.exe"] {
        let res = shop
            .visitor()
            .get(shop.shop(&format!("/images/{id}/{other}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
    }
    // The product page shows it with its alt text and every width.
    let products: serde_json::Value = shop
        .console(reqwest::Method::GET, "/api/v1/products")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let handle = products[0]["handle"].as_str().unwrap().to_owned();
    let product_id = products[0]["id"].as_str().unwrap().to_owned();
    let page = shop
        .visitor()
        .get(shop.shop(&format!("/products/{handle}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("alt=\"A trail boot\"")
            && page.contains(&format!(
                "/images/{id}/320.jpg 320w, /images/{id}/640.jpg 640w, /images/{id}/800.jpg 800w"
            )),
        "{page}"
    );

    // Another shop on the same storefront does not serve it.
    let admin = TenantDb::new(shop.db().pool_as("tenant_admin", 2).await.unwrap());
    crate::create_shop(&admin, "otherpics", "Other Pictures").await;
    let elsewhere = shop
        .shop(&format!("/images/{id}/320.jpg"))
        .replace("alpine.", "otherpics.");
    let other = platform_testkit::https_client(&shop.ca_pem)
        .unwrap()
        .resolve("otherpics.shop.localhost", ([127, 0, 0, 1], 0).into())
        .build()
        .unwrap();
    let res = other.get(&elsewhere).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A product taken back to draft takes its pictures with it.
    let res = shop
        .console(
            reqwest::Method::PATCH,
            &format!("/api/v1/products/{product_id}"),
        )
        .header("x-csrf-token", shop.csrf())
        .json(&json!({ "status": "draft" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = shop
        .visitor()
        .get(shop.shop(&format!("/images/{id}/320.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// The shop's home page as a visitor sees it, once it shows (or stops showing) `text`:
/// the page cache forgets a shop's pages when the console's change is announced.
async fn home_once(shop: &Shop, text: &str, shown: bool) -> String {
    let mut page = String::new();
    for _ in 0..50 {
        page = shop
            .visitor()
            .get(shop.shop("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(text) == shown {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the home page never {} {text}: {page}",
        if shown { "showed" } else { "stopped showing" }
    );
}

#[tokio::test]
async fn o21_a_shops_logo_banner_and_menu_show_on_its_own_pages_only() {
    let shop = Shop::new(false).await;
    let put_picture = |purpose: &'static str, bytes: Vec<u8>, alt: &'static str| {
        let shop = &shop;
        async move {
            let res = shop
                .console(
                    reqwest::Method::PUT,
                    &format!("/api/v1/look/{purpose}?alt={alt}"),
                )
                .header("content-type", "image/jpeg")
                .body(bytes)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    put_picture(
        "logo",
        platform_testkit::jpeg(400, 100),
        "Alpine%20Outfitters",
    )
    .await;
    let res = shop
        .console(reqwest::Method::PUT, "/api/v1/look")
        .json(
            &json!({ "accent_color": "#1d4ed8", "banner_title": "Gear for long days",
                       "banner_text": "Boots that last." }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let look = put_picture("banner", platform_testkit::jpeg(1200, 500), "Snowy%20peaks").await;
    let logo = look["logo"]["id"].as_str().unwrap().to_owned();
    let banner = look["banner_image"]["id"].as_str().unwrap().to_owned();
    for (title, in_menu) in [("Winter", true), ("Hidden shelf", false)] {
        let res = shop
            .console(reqwest::Method::POST, "/api/v1/collections")
            .json(&json!({ "title": title, "in_menu": in_menu }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    // Every page's header: the logo named by its alt text, the collections chosen for the
    // menu (and not the others); the home page: the banner with its picture.
    let home = home_once(&shop, "Snowy peaks", true).await;
    let header = home.split("<main").next().unwrap();
    assert!(
        header.contains(&format!("src=\"/images/{logo}/400.jpg\""))
            && header.contains("alt=\"Alpine Outfitters\"")
            && header.contains("href=\"/collections/winter\"")
            && !header.contains("Hidden shelf"),
        "{header}"
    );
    assert!(
        home.contains(&format!("/images/{banner}/1200.jpg 1200w"))
            && home.contains("Gear for long days"),
        "{home}"
    );
    // The shop's API says the same.
    let info: serde_json::Value = shop
        .visitor()
        .get(shop.shop("/api/v1/shop"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["menu"],
        json!([{ "handle": "winter", "title": "Winter" }])
    );
    assert_eq!(info["logo"]["alt"], "Alpine Outfitters");
    let missing = shop
        .visitor()
        .get(shop.shop("/no-such-page"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing = missing.text().await.unwrap();
    assert!(
        missing.contains("href=\"/collections/winter\"")
            && missing.contains("alt=\"Alpine Outfitters\""),
        "error pages keep the shop's frame: {missing}"
    );
    // The storefront serves the shop's own pictures with a year's cache, to its shop only.
    let res = shop
        .visitor()
        .get(shop.shop(&format!("/images/{logo}/400.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let admin = TenantDb::new(shop.db().pool_as("tenant_admin", 2).await.unwrap());
    crate::create_shop(&admin, "otherlogo", "Other Logo").await;
    let other = platform_testkit::https_client(&shop.ca_pem)
        .unwrap()
        .resolve("otherlogo.shop.localhost", ([127, 0, 0, 1], 0).into())
        .build()
        .unwrap();
    let elsewhere = shop
        .shop(&format!("/images/{logo}/400.jpg"))
        .replace("alpine.", "otherlogo.");
    assert_eq!(
        other.get(&elsewhere).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let other_home = other
        .get(shop.shop("/").replace("alpine.", "otherlogo."))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !other_home.contains("Alpine Outfitters") && !other_home.contains("/collections/winter"),
        "{other_home}"
    );

    // Removed in the console: gone from the pages and from the store.
    let res = shop
        .console(reqwest::Method::DELETE, "/api/v1/look/logo")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let home = home_once(&shop, "Alpine Outfitters", false).await;
    assert!(home.contains("class=\"brand\""), "{home}");
    let res = shop
        .visitor()
        .get(shop.shop(&format!("/images/{logo}/400.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
