//! Choosing a variant by its options on the storefront, without JavaScript (issue 16,
//! point 2): one radio group per option, the chosen combination's price and stock, the
//! combination added to the cart; a product with one variant shows no picker.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::merchant_orders::Shop;

async fn text(shop: &Shop, path: &str) -> (StatusCode, String) {
    let res = shop.visitor().get(shop.shop(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_shopper_picks_size_and_colour_and_gets_that_variant() {
    let shop = Shop::new(false).await;
    // One variant: no picker, just the button.
    let (_, page) = text(&shop, "/products/trail-boots").await;
    assert!(
        !page.contains("<fieldset") && page.contains("Add to cart"),
        "{page}"
    );

    // The merchant names Size and Colour, then adds three more variants (not M / Blue).
    let products: Value = shop
        .console(reqwest::Method::GET, "/api/v1/products")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = products[0]["id"].as_str().unwrap().to_owned();
    let named = shop
        .submit(
            &format!("/products/{id}/options"),
            &[
                ("name1", "Size"),
                ("first1", "M"),
                ("name2", "Colour"),
                ("first2", "Brown"),
            ],
        )
        .await;
    assert_eq!(named.status(), StatusCode::SEE_OTHER);
    for (sku, size, colour, price, stock) in [
        ("BOOTS-L-BROWN", "L", "Brown", 12900, 2),
        ("BOOTS-L-BLUE", "L", "Blue", 13900, 0),
        ("BOOTS-S-BLUE", "S", "Blue", 11900, 5),
    ] {
        let res = shop
            .console(
                reqwest::Method::POST,
                &format!("/api/v1/products/{id}/variants"),
            )
            .header("x-csrf-token", shop.csrf())
            .json(&json!({ "sku": sku, "price_minor": price, "stock": stock,
                           "options": { "Size": size, "Colour": colour } }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{sku}");
    }

    // One radio group per option, the first combination in stock chosen, its price shown.
    let (_, page) = text(&shop, "/products/trail-boots").await;
    assert!(
        page.contains("<legend>Size</legend>") && page.contains("<legend>Colour</legend>"),
        "{page}"
    );
    for value in ["M", "L", "S", "Brown", "Blue"] {
        assert!(
            page.contains(&format!("value=\"{value}\"")),
            "{value}: {page}"
        );
    }
    assert!(
        page.contains("119.00 EUR") && page.contains("In stock"),
        "{page}"
    );
    // Another combination, as the "Show price and stock" button asks for it.
    let (status, page) = text(
        &shop,
        "/products/trail-boots?product=trail-boots&o1=L&o2=Brown&quantity=1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("129.00 EUR") && page.contains("In stock"),
        "{page}"
    );
    assert!(page.contains("value=\"L\" checked"), "{page}");
    let (_, page) = text(&shop, "/products/trail-boots?o1=L&o2=Blue").await;
    assert!(
        page.contains("139.00 EUR") && page.contains("Sold out"),
        "{page}"
    );
    assert!(
        !page.contains(">Add to cart<"),
        "nothing to add when sold out: {page}"
    );
    let (_, page) = text(&shop, "/products/trail-boots?o1=M&o2=Blue").await;
    assert!(page.contains("This combination is not sold"), "{page}");

    // Adding sends the product and the values; the cart holds that variant.
    let res = shop
        .visitor()
        .post(shop.shop("/cart/add"))
        .form(&[
            ("product", "trail-boots"),
            ("o1", "S"),
            ("o2", "Blue"),
            ("quantity", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let cart = shop
        .visitor()
        .get(shop.shop("/cart"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        cart.contains("S / Blue") && cart.contains("238.00 EUR"),
        "{cart}"
    );
    // A combination nobody sells is refused, and the cart is unchanged.
    let res = shop
        .visitor()
        .post(shop.shop("/cart/add"))
        .header("cookie", &cookie)
        .form(&[("product", "trail-boots"), ("o1", "M"), ("o2", "Blue")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This combination is not sold")
    );
}
