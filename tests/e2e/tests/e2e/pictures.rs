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
