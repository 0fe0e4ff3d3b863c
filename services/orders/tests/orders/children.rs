//! Children (O19): in a shop that sells to minors, an order needs the buyer's age band;
//! under 13 it needs a guardian's consent given by the emailed link, once, and never
//! covers a 13+ product; erasing the child erases the guardian's address too.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::privacy::{address, fixture, link_token, open_on_behalf, step};
use crate::{Fixture, lines, variant};

async fn sells_to_minors(f: &Fixture, yes: bool) {
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    sqlx::query("update store_settings set sells_to_minors = $1")
        .bind(yes)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn place(
    f: &Fixture,
    product: &str,
    email: &str,
    age: Option<&str>,
    guardian: Option<&str>,
) -> crate::Answer {
    let v = variant(&f.admin, f.shop, product, 2500, 5).await;
    let mut body = f.order(f.shop, lines(&[(v, 1)])).await;
    body["contact"]["email"] = json!(email);
    body["age_band"] = json!(age);
    body["guardian"] = json!(guardian);
    f.place(f.shop, &Uuid::new_v4().to_string(), &body).await
}

/// Asks `guardian`; the child's handle.
async fn ask(f: &Fixture, guardian: &str) -> String {
    let asked = f
        .post(
            f.shop,
            "/guardian-consents",
            None,
            &json!({ "guardian_email": guardian, "policy_version": null }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    asked.body["handle"].as_str().unwrap().to_owned()
}

async fn state(f: &Fixture, handle: &str) -> String {
    let s = f
        .post(
            f.shop,
            "/guardian-consents/state",
            None,
            &json!({ "handle": handle }),
        )
        .await;
    s.body["status"].as_str().unwrap_or_default().to_owned()
}

async fn decide(f: &Fixture, guardian: &str, consent: bool) -> crate::Answer {
    let token = link_token(guardian, "Your consent is needed", "/guardian/").await;
    f.post(
        f.shop,
        "/guardian-consents/decisions",
        None,
        &json!({ "token": token, "consent": consent }),
    )
    .await
}

#[tokio::test]
async fn o19_a_child_under_13_orders_only_once_a_guardian_consented_by_the_emailed_link() {
    let f = fixture().await;
    sells_to_minors(&f, true).await;
    let child = address("child");

    let none = place(&f, "Crayons", &child, None, None).await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "orders.age_band_required")
    );
    let alone = place(&f, "Crayons", &child, Some("under_13"), None).await;
    assert_eq!(
        (alone.status, alone.code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "orders.guardian_consent_required"
        )
    );
    assert_eq!(
        f.count(f.shop, "select count(*) from orders").await,
        0,
        "nothing about the child was kept"
    );

    // The guardian is asked; until they decide the child waits.
    let guardian = address("guardian");
    let handle = ask(&f, &guardian).await;
    assert_eq!(state(&f, &handle).await, "pending");
    let early = place(&f, "Crayons", &child, Some("under_13"), Some(&handle)).await;
    assert_eq!(early.code(), "orders.guardian_consent_required");
    let yes = decide(&f, &guardian, true).await;
    assert_eq!(
        (yes.status, yes.body["status"].as_str()),
        (StatusCode::OK, Some("consented")),
        "{}",
        yes.body
    );
    // The "plus": a second mail confirms the consent and says how to take it back.
    let confirmed = link_token(&guardian, "You agreed", "/policies/privacy").await;
    assert!(confirmed.is_empty() || confirmed.starts_with('#'));
    assert_eq!(state(&f, &handle).await, "consented");

    // A 13+ product is never sold under a child's consent.
    let v = variant(&f.admin, f.shop, "Pocket knife", 2500, 5).await;
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    sqlx::query("update products set thirteen_plus = true where id = (select product_id from variants where id = $1)")
        .bind(v)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut body = f.order(f.shop, lines(&[(v, 1)])).await;
    body["contact"]["email"] = json!(child);
    body["age_band"] = json!("under_13");
    body["guardian"] = json!(handle);
    let knife = f.place(f.shop, &Uuid::new_v4().to_string(), &body).await;
    assert_eq!(knife.code(), "orders.age_restricted");

    let placed = place(&f, "Crayons", &child, Some("under_13"), Some(&handle)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(state(&f, &handle).await, "used");
    let again = place(&f, "Crayons", &child, Some("under_13"), Some(&handle)).await;
    assert_eq!(
        again.code(),
        "orders.guardian_consent_required",
        "one order per consent"
    );
    assert_eq!(
        f.count(f.shop, "select count(*) from orders where age_band = 'under_13' and guardian_consent_id is not null").await,
        1
    );

    // A refusal lets nothing through.
    let other_guardian = address("guardian");
    let refused_handle = ask(&f, &other_guardian).await;
    let no = decide(&f, &other_guardian, false).await;
    assert_eq!(no.body["status"], "refused");
    let refused = place(
        &f,
        "Crayons",
        &address("child"),
        Some("under_13"),
        Some(&refused_handle),
    )
    .await;
    assert_eq!(refused.code(), "orders.guardian_consent_required");

    // 13 and over order as anyone; a shop that does not sell to minors asks no age.
    let teen = place(&f, "Crayons", &address("teen"), Some("13_plus"), None).await;
    assert_eq!(teen.status, StatusCode::CREATED, "{}", teen.body);
    sells_to_minors(&f, false).await;
    let unasked = place(&f, "Crayons", &address("adult"), Some("13_plus"), None).await;
    assert_eq!(unasked.code(), "orders.field_not_asked");
    sells_to_minors(&f, true).await;

    // Erasing the child erases the guardian's address on the consent as well.
    let id = open_on_behalf(&f, "erasure", &child).await;
    let erased = step(&f, &id, "erase", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(
        f.count(f.shop, "select count(*) from guardian_consents where status = 'used' and guardian_email_sealed is null").await,
        1
    );

    // Malformed: a clear 4xx.
    let bad = f
        .post(
            f.shop,
            "/guardian-consents",
            None,
            &json!({ "guardian_email": "nobody" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = f
        .post(
            f.shop,
            "/guardian-consents/decisions",
            None,
            &json!({ "token": "x", "consent": true }),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "orders.link_invalid")
    );
}
