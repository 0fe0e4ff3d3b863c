use platform_auth::LoginPolicy;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tenant_admin::IpLimiter;

use crate::{App, Options, PASSWORD};

#[tokio::test]
async fn signup_validates_and_refuses_taken_handles() {
    let app = App::start().await;
    let c = app.client();
    for (handle, code) in [
        ("ab", "signup.handle_length"),
        ("admin", "signup.handle_reserved"),
        ("bad_handle", "signup.handle_charset"),
    ] {
        let res = c
            .post(app.url("/api/v1/signup"))
            .json(&json!({ "handle": handle, "display_name": "X", "currency": "EUR", "email": "a@b.example", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code);
    }
    let res = c
        .post(app.url("/api/v1/signup"))
        .json(&json!({ "handle": "fine-shop", "display_name": "X", "currency": "EUR", "email": "a@b.example", "password": "short" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password.weak");

    app.signup("taken", "first@example.com").await;
    let res = c
        .post(app.url("/api/v1/signup"))
        .json(&json!({ "handle": "Taken", "display_name": "Other", "currency": "USD", "email": "second@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "signup.handle_taken");

    let res = c
        .post(app.url("/api/v1/signup"))
        .body("{oops")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn o9_login_sets_a_strict_session_cookie_and_logout_revokes_it() {
    let app = App::start().await;
    app.signup("cookie-shop", "owner@cookie.example").await;
    let c = app.client();
    let res = c
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "cookie-shop", "email": "OWNER@cookie.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "__Host-admin_session=",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let body: Value = res.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let me: Value = c
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "owner@cookie.example");
    assert_eq!(me["role"], "owner");

    // Logout without the CSRF token is refused; with it, the session dies.
    let res = c.post(app.url("/api/v1/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(app.url("/api/v1/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Replay the old cookie explicitly: the server-side session is revoked.
    let value = cookie.split(';').next().unwrap().to_owned();
    let res = app
        .client()
        .get(app.url("/api/v1/me"))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn o9_wrong_shop_email_or_password_all_answer_the_same() {
    let app = App::start().await;
    app.signup("vague-shop", "owner@vague.example").await;
    for (shop, email, password) in [
        (
            "vague-shop",
            "owner@vague.example",
            "not the right password",
        ),
        ("vague-shop", "nobody@vague.example", PASSWORD),
        ("no-such-shop", "owner@vague.example", PASSWORD),
    ] {
        let res = app
            .client()
            .post(app.url("/api/v1/login"))
            .json(&json!({ "shop": shop, "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "auth.invalid_credentials");
    }
}

#[tokio::test]
async fn o9_sessions_expire_after_30_idle_minutes_and_12_hours() {
    let app = App::start().await;
    app.signup("expiry-shop", "owner@expiry.example").await;
    let s = app.login("expiry-shop", "owner@expiry.example").await;
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(s.get("/api/v1/me").await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        s.get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "idle timeout"
    );

    let s = app.login("expiry-shop", "owner@expiry.example").await;
    for _ in 0..35 {
        app.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(s.get("/api/v1/me").await.0, StatusCode::OK);
    }
    // 11 h 40 min active; 21 more minutes is within the idle limit but past 12 hours.
    app.clock.advance(chrono::Duration::minutes(21));
    assert_eq!(
        s.get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED,
        "absolute timeout"
    );
}

#[tokio::test]
async fn o9_soft_lockout_then_the_owner_gets_back_in() {
    let app = App::start().await;
    app.signup("lock-shop", "owner@lock.example").await;
    let attempt = |password: &'static str| {
        let (c, url) = (app.client(), app.url("/api/v1/login"));
        async move {
            let res = c
                .post(url)
                .json(&json!({ "shop": "lock-shop", "email": "owner@lock.example", "password": password }))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (
                status,
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
                retry,
            )
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("wrong password!!").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right password is not checked during the delay.
    let (status, code, retry) = attempt(PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code, "auth.locked");
    assert!(retry.is_some());
    app.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(attempt(PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn o9_at_most_100_failed_attempts_per_account_per_hour_then_the_owner_logs_in() {
    let app = App::start_with(Options {
        // No soft lockout here, to reach the hourly cap quickly.
        policy: LoginPolicy {
            free_failures: 10_000,
            ..LoginPolicy::default()
        },
        ..Options::default()
    })
    .await;
    app.signup("cap-shop", "owner@cap.example").await;
    let c = app.client();
    let mut refused_unchecked = 0;
    for i in 0..110 {
        let res = c
            .post(app.url("/api/v1/login"))
            .json(&json!({ "shop": "cap-shop", "email": "owner@cap.example", "password": format!("guess number {i}") }))
            .send()
            .await
            .unwrap();
        match res.status() {
            StatusCode::UNAUTHORIZED => assert!(i < 100, "attempt {i} was checked"),
            StatusCode::TOO_MANY_REQUESTS => refused_unchecked += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(refused_unchecked, 10);
    let failures: i64 = {
        let pool = app.db.pool_as("backup", 1).await.unwrap();
        let db = platform_tenancy::TenantDb::new(pool);
        let tenant: uuid::Uuid = {
            let mut tx = db.platform().await.unwrap();
            sqlx::query_scalar("select id from tenants where handle = 'cap-shop'")
                .fetch_one(&mut tx)
                .await
                .unwrap()
        };
        let mut tx = db
            .begin(platform_tenancy::TenantId::from_uuid(tenant))
            .await
            .unwrap();
        sqlx::query_scalar("select count(*) from login_attempts where not succeeded")
            .fetch_one(&mut tx)
            .await
            .unwrap()
    };
    assert_eq!(failures, 100, "no more than 100 passwords were tried");
    // The right password is refused too while the cap holds…
    let res = c
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "cap-shop", "email": "owner@cap.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // …and works once the hour has passed.
    app.clock.advance(chrono::Duration::minutes(61));
    app.login("cap-shop", "owner@cap.example").await;
}

#[tokio::test]
async fn o9_failed_logins_are_throttled_per_network() {
    let app = App::start_with(Options {
        ip_limiter: IpLimiter::new(3, chrono::Duration::minutes(10)),
        ..Options::default()
    })
    .await;
    app.signup("ip-shop", "owner@ip.example").await;
    for i in 0..3 {
        let res = app
            .client()
            .post(app.url("/api/v1/login"))
            .json(&json!({ "shop": format!("nosuch{i}"), "email": "x@y.example", "password": "whatever it is" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .client()
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "ip-shop", "email": "owner@ip.example", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(chrono::Duration::minutes(11));
    app.login("ip-shop", "owner@ip.example").await;
}

#[tokio::test]
async fn o9_console_forms_refuse_missing_or_wrong_csrf_tokens() {
    let app = App::start().await;
    let c = app.client();
    // Without visiting the form first there is no CSRF cookie: refused.
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", "forged"),
            ("handle", "csrf-shop"),
            ("display_name", "C"),
            ("currency", "EUR"),
            ("email", "o@c.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Visiting the form sets the cookie; the page carries the same token.
    let page = c
        .get(app.url("/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", token.as_str()),
            ("handle", "csrf-shop"),
            ("display_name", "C"),
            ("currency", "EUR"),
            ("email", "o@c.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Session forms need the session's token.
    let s = app.login("csrf-shop", "o@c.example").await;
    let res = s
        .client
        .post(app.url("/products/new"))
        .form(&[
            ("csrf", "nope"),
            ("title", "Mug"),
            ("sku", "MUG-1"),
            ("price", "9.90"),
            ("stock", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .client
        .post(app.url("/products/new"))
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("title", "Mug"),
            ("sku", "MUG-1"),
            ("price", "9.90"),
            ("stock", "3"),
            ("status", "active"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = s
        .client
        .get(app.url("/products"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Mug") && list.contains("9.90 EUR"), "{list}");
}
