//! Platform staff log in with all three: the client certificate registered for them, the
//! password and a TOTP code (O9); a session works only over a connection presenting that
//! same certificate.

use serde_json::json;

use crate::{PASSWORD, Stack};

#[tokio::test]
async fn o9_login_needs_the_members_certificate_password_and_code() {
    let stack = Stack::new().await;
    let alice = stack.member("alice", &["support"]).await;
    let (status, body) = alice.get(&stack.base, "/api/v1/me").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"], json!(["support"]));
    assert_eq!(body["entity"], "Platform Operations GmbH");

    // Wrong password, then a wrong code: both refused alike.
    let (status, body) = alice.login(&stack.base, "not the password at all").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("auth.invalid_credentials"))
    );
    let r = alice
        .client
        .post(format!("{}/api/v1/login", stack.base))
        .json(&json!({"login": "alice", "password": PASSWORD, "code": "000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Bob's certificate with Alice's password and code: refused.
    let bob = stack.member("bob", &["billing_ops"]).await;
    let code = alice.totp.code().await;
    let r = bob
        .client
        .post(format!("{}/api/v1/login", stack.base))
        .json(&json!({"login": "alice", "password": PASSWORD, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "another member's certificate does not log Alice in"
    );

    // Alice's session cookie over a connection with Bob's certificate: no session.
    let cookie = alice.session_cookie(&stack.base);
    let with_bobs_cert = stack.cert_client("bob");
    let r = with_bobs_cert
        .get(format!("{}/api/v1/me", stack.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a stolen cookie is useless without the member's key"
    );
    let with_alices_cert = stack.cert_client("alice");
    let r = with_alices_cert
        .get(format!("{}/api/v1/me", stack.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the same cookie with Alice's own key works"
    );
}

#[tokio::test]
async fn o9_a_connection_without_a_staff_certificate_is_refused() {
    let stack = Stack::new().await;
    let ca = std::fs::read_to_string(stack.dir.path().join("ca.pem")).unwrap();
    let plain = platform_testkit::https_client(&ca)
        .unwrap()
        .build()
        .unwrap();
    assert!(
        plain
            .get(format!("{}/api/v1/me", stack.base))
            .send()
            .await
            .is_err(),
        "the TLS handshake fails without a client certificate"
    );
}

#[tokio::test]
async fn o8_sre_works_without_personal_data_and_asks_for_no_grants() {
    let stack = Stack::new().await;
    let sre = stack.member("sam", &["sre"]).await;
    let (status, _) = sre.get(&stack.base, "/api/v1/grants").await;
    assert_eq!(status, 403);
    let (status, body) = sre
        .post(
            &stack.base,
            "/api/v1/grants",
            &json!({"shop": "x", "purpose": "other", "reason": "I would like to look around", "classes": ["contact"]}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("auth.forbidden"))
    );
    let (status, _) = sre
        .get(&stack.base, &format!("/api/v1/shops/{}/orders", stack.shop))
        .await;
    assert_eq!(status, 403);
    let (status, _) = sre.get(&stack.base, "/api/v1/staff").await;
    assert_eq!(status, 403, "only security officers manage staff");
    let (status, page) = sre.page(&stack.base, "/").await;
    assert_eq!(status, 200);
    assert!(!page.contains("erika") && !page.contains("Erika"));
}
