//! Checkout through the shop, with and without cookies: the review page priced by the
//! orders service, placing the order once however often the form is sent, the buyer's
//! order page, and a price change between review and placement shown, never charged.
//! The cart and orders services run for real (mTLS, Redis, their own roles).

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use uuid::Uuid;

use crate::Fixture;

const ALPINE: &str = "alpine.shop.localhost";

pub(crate) async fn send(
    f: &Fixture,
    method: reqwest::Method,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut req = f
        .client()
        .request(method.clone(), f.url(ALPINE, path))
        .header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header("cookie", format!("cart={c}"));
    }
    if method == reqwest::Method::POST {
        req = req.form(form);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

pub(crate) fn location(headers: &HeaderMap) -> String {
    headers[LOCATION].to_str().unwrap().to_owned()
}

/// The value of the hidden field `name` in a page.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let lead = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&lead)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + lead.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Alpine ships to Germany (4.90, 19 % VAT in its prices) and Austria.
pub(crate) async fn ships(f: &Fixture) {
    let mut tx = f.admin.begin(f.a).await.unwrap();
    for (country, price) in [("DE", 490), ("AT", 690)] {
        sqlx::query(
            "insert into shipping_rates (tenant_id, id, country, name, price_minor) values ($1, $2, $3, 'Standard', $4)",
        )
        .bind(f.a)
        .bind(Uuid::new_v4())
        .bind(country)
        .bind(price)
        .execute(&mut tx)
        .await
        .unwrap();
    }
    sqlx::query("insert into tax_rates (tenant_id, country, rate_bp, inclusive) values ($1, 'DE', 1900, true)")
        .bind(f.a)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub(crate) async fn variant(f: &Fixture, sku: &str) -> String {
    let mut tx = f.admin.begin(f.a).await.unwrap();
    let id: Uuid = sqlx::query_scalar("select id from variants where sku = $1")
        .bind(sku)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

async fn count_orders(f: &Fixture) -> i64 {
    let orders = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = orders.begin(f.a).await.unwrap();
    let n = sqlx::query_scalar("select count(*) from orders")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

pub(crate) const DETAILS: [(&str, &str); 6] = [
    ("name", "Ada Lovelace"),
    ("email", "ada@example.org"),
    ("address_line1", "Hauptstraße 1"),
    ("postal_code", "10115"),
    ("city", "Berlin"),
    ("country", "DE"),
];

#[tokio::test]
async fn o1_o4_a_visitor_with_cookies_reviews_places_once_and_sees_the_order() {
    let f = Fixture::new().await;
    ships(&f).await;
    let boots = variant(&f, "SKU-trail-boots").await;
    let (_, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/add",
        None,
        &[("variant", &boots), ("quantity", "2")],
    )
    .await;
    let set = headers[SET_COOKIE].to_str().unwrap();
    let id = set
        .strip_prefix("cart=")
        .and_then(|r| r.split(';').next())
        .unwrap()
        .to_owned();
    let (status, _, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/details",
        Some(&id),
        &DETAILS,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, _, cart) = send(&f, reqwest::Method::GET, "/cart", Some(&id), &[]).await;
    assert!(
        cart.contains("href=\"/checkout\""),
        "the cart leads to checkout"
    );
    let (status, headers, review) =
        send(&f, reqwest::Method::GET, "/checkout", Some(&id), &[]).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        review.contains("href=\"/policies/privacy\""),
        "O20 on the checkout page"
    );
    assert!(
        review.contains("Ada Lovelace") && review.contains("Hauptstraße 1"),
        "details from the sealed draft"
    );
    // 2 × 19.90 + 4.90 shipping, 19 % VAT included (7.14).
    assert!(review.contains("Place order · 44.70 EUR"), "{review}");
    assert!(
        review.contains("Including tax (19 %)") && review.contains("7.14 EUR"),
        "{review}"
    );
    let form = [
        ("key", hidden(&review, "key")),
        ("expected_total", hidden(&review, "expected_total")),
        ("rate", hidden(&review, "rate")),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let (status, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/checkout/place",
        Some(&id),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Placed: the buyer goes to the processor's page to pay.
    let pay_page = location(&headers);
    assert!(
        pay_page.starts_with(&format!("{}/pay/pay_", f.paysim.url)),
        "{pay_page}"
    );
    // Sent again (a double click, a reload): the same order and payment, not a second.
    let (status, again, _) = send(
        &f,
        reqwest::Method::POST,
        "/checkout/place",
        Some(&id),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&again), pay_page);
    assert_eq!(count_orders(&f).await, 1);

    // The buyer goes back without paying: the order waits, with a way to pay.
    let order_page = crate::payments::back_without_paying(&f, &pay_page).await;
    let (status, headers, page) = send(&f, reqwest::Method::GET, &order_page, None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        page.contains("Order 1001")
            && page.contains("Waiting for payment")
            && page.contains("44.70 EUR")
    );
    assert!(
        !page.contains("Ada") && !page.contains("Berlin"),
        "the order page shows none of the buyer's details"
    );
    let (_, _, cart) = send(&f, reqwest::Method::GET, "/cart", Some(&id), &[]).await;
    assert!(cart.contains("Your cart is empty."), "the cart was cleared");
}

#[tokio::test]
async fn o4_a_visitor_without_cookies_checks_out_with_the_token_in_the_url() {
    let f = Fixture::new().await;
    ships(&f).await;
    let boots = variant(&f, "SKU-trail-boots").await;
    let (_, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/add",
        None,
        &[("variant", &boots)],
    )
    .await;
    let new = location(&headers);
    let token = new.strip_prefix("/cart?new=").unwrap().to_owned();
    // The cookie does not come back: the cart moves into the URL.
    let (_, headers, _) = send(&f, reqwest::Method::GET, &new, None, &[]).await;
    assert_eq!(location(&headers), format!("/c/{token}/cart"));
    let mut details: Vec<(&str, &str)> = DETAILS.to_vec();
    details.push(("cart_token", &token));
    send(&f, reqwest::Method::POST, "/cart/details", None, &details).await;

    let (status, _, review) = send(
        &f,
        reqwest::Method::GET,
        &format!("/c/{token}/checkout"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert!(
        review.contains(&format!("action=\"/c/{token}/checkout/place\"")),
        "{review}"
    );
    assert!(review.contains(&format!("href=\"/c/{token}/policies/privacy\"")));
    let form = [
        ("key", hidden(&review, "key")),
        ("expected_total", hidden(&review, "expected_total")),
        ("rate", hidden(&review, "rate")),
        ("cart_token", token.clone()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, headers, _) =
        send(&f, reqwest::Method::POST, "/checkout/place", None, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let order_page = crate::payments::back_without_paying(&f, &location(&headers)).await;
    assert!(order_page.contains("/orders/"), "{order_page}");
    let (status, _, page) = send(&f, reqwest::Method::GET, &order_page, None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Order 1001") && page.contains("24.80 EUR"),
        "{page}"
    );
}

#[tokio::test]
async fn a_price_change_after_review_is_shown_not_charged() {
    let f = Fixture::new().await;
    ships(&f).await;
    let boots = variant(&f, "SKU-trail-boots").await;
    let (_, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/cart/add",
        None,
        &[("variant", &boots)],
    )
    .await;
    let id = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .strip_prefix("cart=")
        .and_then(|r| r.split(';').next())
        .unwrap()
        .to_owned();
    send(
        &f,
        reqwest::Method::POST,
        "/cart/details",
        Some(&id),
        &DETAILS,
    )
    .await;
    let (_, _, review) = send(&f, reqwest::Method::GET, "/checkout", Some(&id), &[]).await;
    let form = [
        ("key", hidden(&review, "key")),
        ("expected_total", hidden(&review, "expected_total")),
        ("rate", hidden(&review, "rate")),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let mut tx = f.admin.begin(f.a).await.unwrap();
    sqlx::query("update variants set price_minor = 2490 where sku = 'SKU-trail-boots'")
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (status, headers, _) = send(
        &f,
        reqwest::Method::POST,
        "/checkout/place",
        Some(&id),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = location(&headers);
    assert!(
        back.starts_with("/checkout?problem=orders.totals_changed"),
        "{back}"
    );
    let (_, _, review) = send(&f, reqwest::Method::GET, &back, Some(&id), &[]).await;
    assert!(
        review.contains("Prices, stock or shipping changed"),
        "{review}"
    );
    assert!(
        review.contains("Price changed from 19.90 EUR to 24.90 EUR"),
        "{review}"
    );
    assert!(review.contains("Place order · 29.80 EUR"), "{review}");
    assert_eq!(count_orders(&f).await, 0);
}

#[tokio::test]
async fn o3_a_card_number_typed_into_a_shop_form_or_search_is_refused() {
    let f = Fixture::new().await;
    let (status, headers, page) = send(
        &f,
        reqwest::Method::POST,
        "/cart/details",
        None,
        &[
            ("name", "4242 4242 4242 4242"),
            ("email", "ada@example.org"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("Card numbers are never sent to this shop"),
        "{page}"
    );
    assert!(headers.get(SET_COOKIE).is_none(), "no cart was made for it");
    let (status, _, _) = send(
        &f,
        reqwest::Method::GET,
        "/search?q=4242424242424242",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = send(&f, reqwest::Method::GET, "/search?q=boots+42", None, &[]).await;
    assert_eq!(status, StatusCode::OK);
}
