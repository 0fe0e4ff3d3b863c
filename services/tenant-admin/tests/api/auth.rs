use platform_auth::LoginPolicy;
use reqwest::StatusCode;
use serde_json::{Value, json};

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
    // An owner without a second factor holds no role until they set one up (O9).
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["mfa_required"], true);

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
        failed_logins_per_network: 3,
        ..Options::default()
    })
    .await;
    app.signup("ip-shop", "owner@ip.example").await;
    let login = |client: reqwest::Client| {
        let url = app.url("/api/v1/login");
        async move {
            client
                .post(url)
                .json(&json!({ "shop": "ip-shop", "email": "owner@ip.example", "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Three failures from 127.0.0.1 use up the budget of the network 127.0.0.0/24.
    for i in 0..3 {
        let res = app
            .client_from([127, 0, 0, 1])
            .post(app.url("/api/v1/login"))
            .json(&json!({ "shop": format!("nosuch{i}"), "email": "x@y.example", "password": "whatever it is" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // The same address and another address of the same /24 wait, even with the right
    // password…
    assert_eq!(
        login(app.client_from([127, 0, 0, 1])).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login(app.client_from([127, 0, 0, 77])).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …while the owner, from another network, logs in at once: the stranger's failures
    // did not lock the account.
    assert_eq!(login(app.client_from([127, 0, 9, 1])).await, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(login(app.client_from([127, 0, 0, 1])).await, StatusCode::OK);
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
    // A refused sign-up says what is wrong under the field, the rest kept.
    let res = c
        .post(app.url("/signup"))
        .form(&[
            ("csrf", token.as_str()),
            ("handle", "Not A Handle"),
            ("display_name", "Chosen Name"),
            ("currency", "EUR"),
            ("email", "o@c.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("aria-invalid=\"true\" aria-describedby=\"handle-help handle-error\"")
            && page.contains("id=\"handle-error\" role=\"alert\"")
            && page.contains("value=\"Chosen Name\""),
        "{page}"
    );
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
    // Signing up logs the owner in, on to setting up the second factor.
    assert_eq!(res.headers()["location"], "/account/security?done=welcome");
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );

    // Session forms need the session's token.
    let s = app.login("csrf-shop", "o@c.example").await;
    app.enrol(&s, "o@c.example").await;
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

#[tokio::test]
async fn console_errors_show_in_the_consoles_layout() {
    let app = App::start().await;
    let s = app.shop("layout-shop").await;
    let res = s
        .client
        .get(format!("{}/products/{}", s.base, uuid_like()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Shop admin") && page.contains("Back to the console"),
        "{page}"
    );
    // Without a session, a console page sends the visitor to log in and back.
    let res = app.client().get(app.url("/settings")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=%2Fsettings");
}

fn uuid_like() -> &'static str {
    "7b0c1a4e-0d7a-4a8e-9d1e-3f6b2a9c8d11"
}

#[tokio::test]
async fn o9_the_lockout_answers_alike_for_unknown_and_known_emails() {
    let app = App::start().await;
    app.signup("alike-shop", "owner@alike.example").await;
    let attempt = |email: &'static str| {
        let (c, url) = (app.client(), app.url("/api/v1/login"));
        async move {
            let res = c
                .post(url)
                .json(&json!({ "shop": "alike-shop", "email": email, "password": "wrong password!!" }))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (
                status,
                body["error"]["code"].as_str().unwrap_or("").to_owned(),
            )
        }
    };
    for email in ["owner@alike.example", "nobody@alike.example"] {
        for _ in 0..5 {
            assert_eq!(
                attempt(email).await.1,
                "auth.invalid_credentials",
                "{email}"
            );
        }
        assert_eq!(
            attempt(email).await,
            (StatusCode::TOO_MANY_REQUESTS, "auth.locked".to_owned()),
            "{email}: the sixth fast failure is locked, whether the account exists or not"
        );
    }
}

#[tokio::test]
async fn sign_ups_are_limited_per_network_with_retry_after() {
    let app = App::start_with(Options {
        signups_per_network_per_hour: 2,
        ..Options::default()
    })
    .await;
    app.signup("first-rate", "o@first.example").await;
    app.signup("second-rate", "o@second.example").await;
    let res = app
        .client()
        .post(app.url("/api/v1/signup"))
        .json(
            &json!({ "handle": "third-rate", "display_name": "Third", "currency": "EUR",
                        "email": "o@third.example", "password": PASSWORD }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "signup.rate_limited");
}

#[tokio::test]
async fn o9_every_unsafe_route_refuses_a_missing_or_wrong_csrf_token() {
    let app = App::start().await;
    let s = app.shop("sweep-shop").await;
    let any_id = "0b6f7a4e-5c1d-4e8f-9a2b-3c4d5e6f7a8b";
    // Every unsafe operation of the API, from its document (sign-up and login come
    // before a session exists: JSON-only, so a cross-site form cannot send them).
    let (_, doc) = s.get("/api/v1/openapi.json").await;
    let mut api = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method != "get"
                && !path.ends_with("/signup")
                && !path.ends_with("/login")
                && !path.ends_with("/login/code")
            {
                api.push((
                    path.replace("{id}", any_id).replace("{product_id}", any_id),
                    method.clone(),
                ));
            }
        }
    }
    assert!(api.len() >= 15, "{api:?}");
    for (path, method) in &api {
        for token in [None, Some("not-the-token")] {
            let mut req = s
                .client
                .request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    format!("{}{path}", s.base),
                )
                .json(&json!({}));
            if let Some(t) = token {
                req = req.header("x-csrf-token", t);
            }
            let res = req.send().await.unwrap();
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} with {token:?}"
            );
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "auth.csrf", "{method} {path}");
        }
    }
    // Every console form that needs a session.
    let pages = [
        "/logout".to_owned(),
        "/products/new".to_owned(),
        format!("/products/{any_id}"),
        format!("/products/{any_id}/variants"),
        format!("/products/{any_id}/delete"),
        format!("/variants/{any_id}"),
        "/collections".to_owned(),
        format!("/collections/{any_id}/products"),
        "/settings".to_owned(),
        "/privacy/draft".to_owned(),
        "/privacy/publish".to_owned(),
    ];
    for path in &pages {
        for token in ["", "not-the-token"] {
            let res = s
                .client
                .post(format!("{}{path}", s.base))
                .form(&[("csrf", token)])
                .send()
                .await
                .unwrap();
            assert!(
                matches!(
                    res.status(),
                    StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
                ),
                "{path} with {token:?}: {}",
                res.status()
            );
        }
    }
    // The import form is multipart.
    for token in ["", "not-the-token"] {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token)
            .part("file", reqwest::multipart::Part::text("product_handle\n"));
        let res = s
            .client
            .post(format!("{}/catalog", s.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "/catalog with {token:?}"
        );
    }
    // Nothing happened: the session still works and nothing was created.
    assert_eq!(s.get("/api/v1/products").await, (StatusCode::OK, json!([])));
}

/// Staff secrets at rest (O9, O11): the email is sealed (a blind index and ciphertext,
/// never the address), the password an argon2id hash, the session token a SHA-256. Read
/// straight from the tables as the console's own role.
#[tokio::test]
async fn o9_staff_emails_passwords_and_session_tokens_are_stored_sealed_or_hashed() {
    let app = App::start().await;
    let email = "Owner.Secret@Sealed-Shop.example";
    let tenant = app.signup("sealed-shop", email).await;
    let client = app.client();
    let res = client
        .post(app.url("/api/v1/login"))
        .json(&json!({ "shop": "sealed-shop", "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__Host-admin_session="))
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('.'))
        .map(|(_, token)| token.to_owned())
        .expect("a session cookie: <tenant>.<token>");

    let db = platform_tenancy::TenantDb::new(app.db.pool_as("tenant_admin", 1).await.unwrap());
    let mut tx = db
        .begin(platform_tenancy::TenantId::from_uuid(
            tenant.parse().unwrap(),
        ))
        .await
        .unwrap();
    let accounts: Vec<String> = sqlx::query_scalar("select t::text from staff_accounts t")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    let stored = accounts[0].to_lowercase();
    for needle in ["owner.secret", "sealed-shop.example", PASSWORD] {
        assert!(
            !stored.contains(&needle.to_lowercase()),
            "{needle} stored in clear"
        );
    }
    let hash: String = sqlx::query_scalar("select password_hash from staff_accounts")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let sessions: Vec<(Vec<u8>, String)> =
        sqlx::query_as("select token_hash, t::text from staff_sessions t")
            .fetch_all(&mut tx)
            .await
            .unwrap();
    assert_eq!(sessions.len(), 1);
    let (token_hash, row) = &sessions[0];
    assert_eq!(token_hash.len(), 32, "a SHA-256 of the token");
    assert!(
        !row.contains(&token),
        "the session token is stored in clear"
    );
    assert!(
        !token_hash
            .windows(token.len().min(16))
            .any(|w| w == &token.as_bytes()[..token.len().min(16)]),
        "the session token is stored in clear"
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_mistyped_first_code_shows_the_same_key_again_with_the_message_beside_the_field() {
    let app = App::start().await;
    let owner = app.shop(&crate::access::unique_shop("enrol")).await;
    let member = crate::staff::member(
        &app,
        &owner,
        &crate::staff::unique("enrols"),
        &["catalog"],
        1,
    )
    .await;
    let csrf = ("csrf", member.csrf.clone());
    let (status, page) = member
        .post_form("/account/mfa/start", std::slice::from_ref(&csrf))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let secret = |page: &str| {
        page.split("id=\"totp-secret\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .map(str::to_owned)
    };
    let key = secret(&page).unwrap();

    let (status, page) = member
        .post_form(
            "/account/mfa/confirm",
            &[csrf.clone(), ("code", "abcdef".to_owned())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(secret(&page).as_deref(), Some(key.as_str()), "{page}");
    assert!(
        page.contains("aria-invalid=\"true\" aria-describedby=\"code-error\"")
            && page.contains("id=\"code-error\" role=\"alert\""),
        "{page}"
    );

    let (status, page) = member
        .post_form("/account/mfa/confirm", &[csrf, ("code", app.code(&key))])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Keep these recovery codes"), "{page}");
}
