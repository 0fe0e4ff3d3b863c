//! Carts through the shop (O4): the cookie, the cookie-less URL token, the cart page and
//! its forms, the checkout draft, and Redis going away and coming back. The cart service
//! runs for real (mTLS, Redis, the `cart` role); the browser versions are in `browser`.

use std::time::{Duration, Instant};

use platform_tenancy::TenantId;
use platform_testkit::TcpGate;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use uuid::Uuid;

use crate::{Fixture, REDIS_URL};

const ALPINE: &str = "alpine.shop.localhost";

async fn variant_of(f: &Fixture, tenant: TenantId, sku: &str) -> Uuid {
    let mut tx = f.admin.begin(tenant).await.unwrap();
    let id = sqlx::query_scalar("select id from variants where sku = $1")
        .bind(sku)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// One request as a browser would send it, with an optional cart cookie.
async fn send(
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

async fn get(f: &Fixture, path: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
    send(f, reqwest::Method::GET, path, cookie, &[]).await
}

async fn post(
    f: &Fixture,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    send(f, reqwest::Method::POST, path, cookie, form).await
}

fn location(headers: &HeaderMap) -> &str {
    headers[LOCATION].to_str().unwrap()
}

fn minicart(count: u64) -> String {
    format!("Cart (<span class=\"count\">{count}</span>)")
}

#[tokio::test]
async fn o4_the_cart_cookie_is_a_random_id_only_and_brings_the_cart_back() {
    let f = Fixture::new().await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();

    let (status, headers, _) = post(
        &f,
        "/cart/add",
        None,
        &[("variant", &boots), ("quantity", "2")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers[SET_COOKIE].to_str().unwrap();
    let id = set
        .strip_prefix("cart=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{set}"
    );
    let mut attributes: Vec<&str> = set.split("; ").collect();
    attributes.sort_unstable();
    let value = format!("cart={id}");
    let mut expected = vec![
        value.as_str(),
        "HttpOnly",
        "Max-Age=2592000",
        "Path=/",
        "SameSite=Lax",
        "Secure",
    ];
    expected.sort_unstable();
    assert_eq!(attributes, expected, "the id and nothing else: {set}");
    assert_eq!(location(&headers), format!("/cart?new={id}"));

    // The cookie came back: a clean cart URL.
    let (status, headers, _) = get(&f, &format!("/cart?new={id}"), Some(&id)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/cart");

    let (status, headers, page) = get(&f, "/cart", Some(&id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        page.contains("Trail Boots") && page.contains("39.80 EUR"),
        "{page}"
    );

    // Every page shows the count; it is filled in after the shared page cache.
    for _ in 0..2 {
        let (status, headers, home) = get(&f, "/", Some(&id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(home.contains(&minicart(2)));
        assert!(headers.get("etag").is_none());
        assert!(
            headers[SET_COOKIE]
                .to_str()
                .unwrap()
                .starts_with(&format!("cart={id};"))
        );
    }
    let (_, headers, anonymous) = get(&f, "/", None).await;
    assert!(anonymous.contains(&minicart(0)));
    assert!(headers.get("etag").is_some());

    // The same cookie in another shop is another, empty cart.
    let res = f
        .client()
        .get(f.url("bamboo.shop.localhost", "/"))
        .header("cookie", format!("cart={id}"))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(&minicart(0)));

    // Quantity, stock, removal.
    let (status, _, _) = post(
        &f,
        &format!("/cart/lines/{boots}"),
        Some(&id),
        &[("quantity", "3")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(get(&f, "/", Some(&id)).await.2.contains(&minicart(3)));
    let (status, headers, page) = post(
        &f,
        &format!("/cart/lines/{boots}"),
        Some(&id),
        &[("quantity", "5")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(headers["x-error-code"], "cart.insufficient_stock");
    assert!(page.contains("Only 4 left") && page.contains("Alpine Outfitters"));
    let (status, _, page) = post(&f, "/cart/add", Some(&id), &[("variant", "not-a-variant")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");

    // A mistake in the draft: the form again, as typed, the problem beside its field,
    // nothing saved.
    let (status, _, page) = post(
        &f,
        "/cart/details",
        Some(&id),
        &[
            ("name", "Ada Lovelace"),
            ("email", "ada-at-example"),
            ("city", "London"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("value=\"Ada Lovelace\"")
            && page.contains("value=\"ada-at-example\"")
            && page.contains("value=\"London\"")
            && page.contains("id=\"email-error\"")
            && page.contains("aria-invalid=\"true\"")
            && page.contains("Trail Boots"),
        "{page}"
    );
    let (_, _, page) = get(&f, "/cart", Some(&id)).await;
    assert!(!page.contains("Ada Lovelace"), "nothing saved: {page}");

    // The checkout draft: saved, shown again, forgotten.
    let (status, _, _) = post(
        &f,
        "/cart/details",
        Some(&id),
        &[
            ("name", "Ada Lovelace"),
            ("email", "ada@example.org"),
            ("city", "London"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&f, "/cart", Some(&id)).await;
    assert!(page.contains("value=\"Ada Lovelace\"") && page.contains("Forget my details"));
    post(&f, "/cart/details/forget", Some(&id), &[]).await;
    let (_, _, page) = get(&f, "/cart", Some(&id)).await;
    assert!(!page.contains("Ada Lovelace") && !page.contains("Forget my details"));

    let (status, _, _) = post(&f, &format!("/cart/lines/{boots}/remove"), Some(&id), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        get(&f, "/cart", Some(&id))
            .await
            .2
            .contains("Your cart is empty")
    );
}

#[tokio::test]
async fn o4_without_cookies_the_cart_travels_in_the_url_for_this_visit() {
    let f = Fixture::new().await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();

    let (_, headers, _) = post(&f, "/cart/add", None, &[("variant", &boots)]).await;
    let probe = location(&headers).to_owned();
    let id = probe.strip_prefix("/cart?new=").unwrap().to_owned();
    // The browser did not send the cookie back: cookie-less mode.
    let (status, headers, _) = get(&f, &probe, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/c/{id}/cart"));

    let (status, headers, page) = get(&f, &format!("/c/{id}/cart"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(page.contains("Trail Boots") && page.contains("this visit only"));
    // Every link and form keeps the token; forms carry it in a hidden field too.
    for attr in ["href=\"/", "action=\"/"] {
        for (i, _) in page.match_indices(attr) {
            let rest = &page[i + attr.len() - 1..];
            assert!(
                rest.starts_with(&format!("/c/{id}/")) || rest.starts_with("/assets/"),
                "a link loses the token: {}",
                &rest[..rest.len().min(60)]
            );
        }
    }
    assert!(page.contains(&format!("name=\"cart_token\" value=\"{id}\"")));

    // Adding more within the visit.
    let (status, headers, _) = post(
        &f,
        &format!("/c/{id}/cart/add"),
        None,
        &[("variant", &boots)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("/c/{id}/cart"));
    assert!(headers.get(SET_COOKIE).is_none());
    let (status, headers, home) = get(&f, &format!("/c/{id}/"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(home.contains(&minicart(2)));
    let (_, _, product) = get(&f, &format!("/c/{id}/products/trail-boots"), None).await;
    assert!(product.contains(&format!("action=\"/c/{id}/cart/add\"")));

    // The hidden field alone also names the cart.
    let (status, headers, _) = post(
        &f,
        &format!("/cart/lines/{boots}"),
        None,
        &[("quantity", "1"), ("cart_token", &id)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/cart");

    // The shorter TTL, straight from Redis.
    let mut redis = redis::Client::open(REDIS_URL)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!(
        "{}:lines",
        cart::store::key_tag(f.a, platform_cart_api::CartId::parse(&id).unwrap())
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 7200, "{ttl}");

    assert_eq!(
        get(&f, "/c/not-a-token/cart", None).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn redis_outage_keeps_the_catalog_up_and_the_cart_answers_503_until_it_recovers() {
    let gate = TcpGate::open_to("127.0.0.1:6379".parse().unwrap())
        .await
        .unwrap();
    let f = Fixture::with_redis(&format!("redis://127.0.0.1:{}", gate.port())).await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();
    let (_, headers, _) = post(&f, "/cart/add", None, &[("variant", &boots)]).await;
    let id = location(&headers)
        .strip_prefix("/cart?new=")
        .unwrap()
        .to_owned();

    gate.close().await;
    for path in ["/", "/products", "/products/trail-boots", "/search?q=boots"] {
        let (status, _, page) = get(&f, path, Some(&id)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains("Cart unavailable"), "{path}");
    }
    let (status, headers, page) = post(&f, "/cart/add", Some(&id), &[("variant", &boots)]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "5");
    assert!(page.contains("Your items are safe") && page.contains("Alpine Outfitters"));
    let (status, headers, _) = get(&f, "/cart", Some(&id)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "5");

    gate.reopen().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _, page) = get(&f, "/cart", Some(&id)).await;
        if status == StatusCode::OK {
            assert!(page.contains("Trail Boots"), "the cart survived the outage");
            break;
        }
        assert!(Instant::now() < deadline, "no recovery");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(get(&f, "/", Some(&id)).await.2.contains(&minicart(1)));
}

#[tokio::test]
async fn o21_a_variant_path_segment_cannot_reach_another_path_of_the_cart_api() {
    let f = Fixture::new().await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();
    let (_, headers, _) = post(&f, "/cart/add", None, &[("variant", &boots)]).await;
    let id = location(&headers)
        .strip_prefix("/cart?new=")
        .unwrap()
        .to_owned();
    // Shop B's host, aiming at shop A's cart through `..` segments in the variant.
    let tenant_a = f.a.to_string();
    for path in [
        format!("/cart/lines/..%2F..%2F..%2F..%2F{tenant_a}%2Fcarts%2F{id}%2Flines%2F{boots}"),
        format!(
            "/cart/lines/..%2F..%2F..%2F..%2F{tenant_a}%2Fcarts%2F{id}%2Flines%2F{boots}/remove"
        ),
        "/cart/lines/not-a-variant".to_owned(),
    ] {
        let res = f
            .client()
            .post(f.url("bamboo.shop.localhost", &path))
            .header("accept", "text/html")
            .header("cookie", format!("cart={id}"))
            .form(&[("quantity", "7")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(res.headers()["x-error-code"], "cart.malformed_id", "{path}");
    }
    let (_, _, page) = get(&f, "/cart", Some(&id)).await;
    assert!(page.contains(&minicart(1)), "shop A's cart is unchanged");
}

#[tokio::test]
async fn cart_forms_refuse_posts_from_other_sites_and_keep_the_visitors_cookie() {
    let f = Fixture::new().await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "https://bamboo.shop.localhost"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let res = f
            .client()
            .post(f.url(ALPINE, "/cart/add"))
            .header(name, value)
            .form(&[("variant", boots.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(res.headers().get(SET_COOKIE).is_none(), "{name}: {value}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cart.cross_site");
    }
    let res = f
        .client()
        .post(f.url(ALPINE, "/cart/add"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", format!("https://{ALPINE}:{}", f.addr.port()))
        .form(&[("variant", boots.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the shop's own form");
}

/// The storefront's CSRF sweep: every unsafe route of the cart forms, sent as another
/// site would make a browser send it (by `Sec-Fetch-Site` or by `Origin`), is refused
/// with a coded 403, sets no cookie and changes nothing. (The console's sweep is
/// `o9_every_unsafe_route_refuses_a_missing_or_wrong_csrf_token`; the cart service takes
/// no browser requests at all.)
#[tokio::test]
async fn o9_every_unsafe_storefront_route_refuses_posts_from_other_sites() {
    let f = Fixture::new().await;
    let boots = variant_of(&f, f.a, "SKU-trail-boots").await.to_string();
    let (status, headers, _) = post(&f, "/cart/add", None, &[("variant", &boots)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .strip_prefix("cart=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let routes = [
        (
            "/cart/add".to_owned(),
            vec![("variant", boots.as_str()), ("quantity", "3")],
        ),
        (format!("/cart/lines/{boots}"), vec![("quantity", "5")]),
        (format!("/cart/lines/{boots}/remove"), vec![]),
        ("/cart/clear".to_owned(), vec![]),
        (
            "/cart/details".to_owned(),
            vec![("name", "Mallory"), ("email", "mallory@evil.example")],
        ),
        ("/cart/details/forget".to_owned(), vec![]),
    ];
    for (path, form) in &routes {
        for (name, value) in [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ] {
            let res = f
                .client()
                .post(f.url(ALPINE, path))
                .header("cookie", format!("cart={id}"))
                .header(name, value)
                .form(form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} {name}");
            assert!(res.headers().get(SET_COOKIE).is_none(), "{path} {name}");
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "cart.cross_site", "{path} {name}");
        }
    }
    let (_, _, page) = get(&f, "/cart", Some(&id)).await;
    assert!(
        page.contains(&minicart(1)),
        "a refused post changed the cart"
    );
    assert!(!page.contains("Mallory"));
}

#[tokio::test]
async fn a_malformed_cart_token_path_is_a_coded_404_with_the_security_headers() {
    let f = Fixture::new().await;
    let res = f
        .client()
        .get(f.url(ALPINE, "/c/not-a-token/cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for header in [
        "strict-transport-security",
        "x-content-type-options",
        "x-request-id",
    ] {
        assert!(res.headers().get(header).is_some(), "{header}");
    }
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route.not_found");
}
