//! Marketing consent (O17): double opt-in, newsletters to confirmed subscribers only,
//! RFC 8058 one-click unsubscribe and the `mailto` way out, the outbox's own refusal, and
//! consents in access requests and erasure (O13, O14). Mail is read back from the
//! development SMTP server; rows are read as the `orders` role.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::mail::inbox;
use crate::privacy::{address, fixture, link_token, open_on_behalf, order_for, step};
use crate::{Fixture, lines, variant};

/// Mail to `to` whose subject contains `subject`, once at least `n` have arrived.
async fn mails(to: &str, subject: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got: Vec<Value> = inbox(to)
            .await
            .into_iter()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} “{subject}” mails to {to}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn subscribe(f: &Fixture, email: &str) {
    let asked = f
        .post(
            f.shop,
            "/subscriptions",
            None,
            &json!({ "email": email, "source": "signup_form", "policy_version": null }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
}

async fn confirm(f: &Fixture, email: &str) {
    let token = link_token(email, "Please confirm", "/newsletter/confirm/").await;
    let confirmed = f
        .post(
            f.shop,
            "/subscriptions/confirmations",
            None,
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::NO_CONTENT,
        "{}",
        confirmed.body
    );
    // Pressed again: the same answer.
    let again = f
        .post(
            f.shop,
            "/subscriptions/confirmations",
            None,
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

async fn newsletter(f: &Fixture, subject: &str) -> Value {
    let sent = f
        .post(
            f.shop,
            "/newsletters",
            None,
            &json!({ "subject": subject, "body": "New boots are in.\n\nCome and see.", "staff_id": Uuid::new_v4() }),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    sent.body
}

/// The secret of a newsletter's one-click link.
fn unsubscribe_token(mail: &Value) -> String {
    let header = mail["headers"]["list-unsubscribe"].as_str().unwrap();
    let start = header.find("/unsubscribe/").unwrap() + "/unsubscribe/".len();
    header[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn o17_promotion_reaches_confirmed_subscribers_only_and_one_click_excludes_them_from_the_next_send()
 {
    let f = fixture().await;
    // A buyer who ticks the box at checkout, a visitor who signs up, and one who never
    // confirms.
    let (buyer, visitor, silent) = (address("buyer"), address("visitor"), address("silent"));
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let mut body = f.order(f.shop, lines(&[(boots, 1)])).await;
    body["contact"]["email"] = json!(buyer);
    body["marketing"] = json!({ "policy_version": null });
    let placed = f.place(f.shop, &Uuid::new_v4().to_string(), &body).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    subscribe(&f, &visitor).await;
    subscribe(&f, &silent).await;
    // Asked again while the link works: no second mail.
    subscribe(&f, &visitor).await;
    let counts = f.get(f.shop, "/newsletters").await;
    assert_eq!(
        counts.body["subscribers"],
        json!({ "pending": 3, "confirmed": 0, "withdrawn": 0 })
    );

    confirm(&f, &buyer).await;
    confirm(&f, &visitor).await;
    mails(&silent, "Please confirm", 1).await;
    assert_eq!(mails(&visitor, "Please confirm", 1).await.len(), 1);
    let unknown = f
        .post(
            f.shop,
            "/subscriptions/confirmations",
            None,
            &json!({ "token": "not-a-token" }),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "orders.link_invalid")
    );

    let first = newsletter(&f, "Spring news").await;
    assert_eq!(first["recipients"], 2);
    let to_visitor = &mails(&visitor, "Spring news", 1).await[0];
    mails(&buyer, "Spring news", 1).await;
    // RFC 8058: an HTTPS link that takes a one-click POST, a mailto, and a visible link.
    let header = to_visitor["headers"]["list-unsubscribe"].as_str().unwrap();
    let token = unsubscribe_token(to_visitor);
    assert!(
        header.starts_with("<https://") && header.contains(&format!("/unsubscribe/{token}>")),
        "{header}"
    );
    assert!(
        header.contains(&format!(
            "<mailto:orders@platform.test?subject=unsubscribe%20{}%20{token}>",
            f.shop
        )),
        "{header}"
    );
    assert_eq!(
        to_visitor["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    let text = to_visitor["text"].as_str().unwrap();
    assert!(text.contains(&format!("/unsubscribe/{token}")), "{text}");
    assert!(text.starts_with("New boots are in."), "{text}");

    // One click: withdrawn at once; again, the same answer.
    for _ in 0..2 {
        let out = f
            .post(
                f.shop,
                "/subscriptions/withdrawals",
                None,
                &json!({ "token": token, "method": "one_click" }),
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    }
    let second = newsletter(&f, "Summer news").await;
    assert_eq!(second["recipients"], 1);
    let to_buyer = &mails(&buyer, "Summer news", 1).await[0];
    // The sender works through the outbox in order: once the buyer's copy is in, a copy
    // for the visitor would be too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        mails(&visitor, "news", 0)
            .await
            .iter()
            .all(|m| m["subject"] != "Summer news"),
        "the withdrawn visitor got the next newsletter"
    );
    assert!(
        mails(&silent, "news", 0).await.len() <= 1,
        "unconfirmed got promotion"
    );

    // The mailto way out, as the inbound relay hands it over (a reply's subject).
    let buyer_token = unsubscribe_token(to_buyer);
    let by_mail = f
        .client
        .post(format!("{}/v1/unsubscribe-mail", f.base))
        .json(&json!({ "subject": format!("Re: unsubscribe {} {buyer_token}", f.shop) }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_mail.status(), StatusCode::NO_CONTENT);
    let counts = f.get(f.shop, "/newsletters").await;
    assert_eq!(
        counts.body["subscribers"],
        json!({ "pending": 1, "confirmed": 0, "withdrawn": 2 })
    );
    let sent = counts.body["sent"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["delivered"], 2, "{}", counts.body);
    // Withdrawn: the address and the secrets are gone, the dates stay.
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from subscriptions where status = 'withdrawn' \
               and email_sealed is null and unsubscribe_sealed is null \
               and withdrawn_at is not null and withdrawal_method in ('one_click', 'mailto')"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn o17_the_outbox_refuses_promotion_without_a_confirmed_consent() {
    // No mail sender: copies wait in the outbox.
    let f = Fixture::build(false, Duration::from_secs(3600), "tenant-admin").await;
    let db = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let token = platform_auth::Token::generate();
    let insert = |status: &'static str, unsubscribe: Vec<u8>| {
        let db = db.clone();
        let shop = f.shop;
        async move {
            let id = Uuid::new_v4();
            let mut tx = db.begin(shop).await.unwrap();
            sqlx::query(
                "insert into subscriptions (tenant_id, id, status, subject_id, email_index, \
                     email_sealed, source, confirm_until, confirmed_at, unsubscribe_hash, \
                     unsubscribe_sealed) \
                 values ($1, $2, $3, gen_random_uuid(), decode(md5(random()::text) || md5(random()::text), 'hex'), '\\x00', \
                     'signup_form', now() + interval '1 hour', \
                     case when $3 = 'confirmed' then now() end, $4, '\\x00')",
            )
            .bind(shop)
            .bind(id)
            .bind(status)
            .bind(unsubscribe)
            .execute(&mut tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            id
        }
    };
    let pending = insert("pending", platform_auth::Token::generate().digest()).await;
    insert("confirmed", token.digest()).await;

    let sent = newsletter(&f, "Only for the confirmed").await;
    assert_eq!(sent["recipients"], 1);
    assert_eq!(sent["waiting"], 1);

    // Written straight into the outbox as the service's role: refused by the database.
    let mut tx = db.begin(f.shop).await.unwrap();
    let refused = sqlx::query(
        "insert into outbox (tenant_id, id, kind, subscription_id, newsletter_id) \
         values ($1, gen_random_uuid(), 'newsletter', $2, $3::uuid)",
    )
    .bind(f.shop)
    .bind(pending)
    .bind(sent["id"].as_str().unwrap())
    .execute(&mut tx)
    .await;
    let error = refused.expect_err("promotion to a pending subscription was queued");
    assert!(
        error
            .to_string()
            .contains("promotional mail needs a confirmed consent"),
        "{error}"
    );
    drop(tx);

    // Withdrawn after the newsletter was queued, before it left: its copy is settled
    // unsent in the same transaction, so the very next send skips it.
    let out = f
        .post(
            f.shop,
            "/subscriptions/withdrawals",
            None,
            &json!({ "token": token.as_str(), "method": "unsubscribe_page" }),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    let list = f.get(f.shop, "/newsletters").await;
    assert_eq!(list.body["sent"][0]["waiting"], 0, "{}", list.body);
    assert_eq!(list.body["sent"][0]["withdrawn"], 1);

    // Malformed input: clear refusals.
    for (body, code) in [
        (
            json!({ "subject": "", "body": "x", "staff_id": Uuid::new_v4() }),
            "orders.newsletter_invalid",
        ),
        (
            json!({ "subject": "a\r\nBcc: x@y.z", "body": "x", "staff_id": Uuid::new_v4() }),
            "orders.newsletter_invalid",
        ),
        (
            json!({ "subject": "Hi", "body": " ", "staff_id": Uuid::new_v4() }),
            "orders.newsletter_invalid",
        ),
    ] {
        let bad = f.post(f.shop, "/newsletters", None, &body).await;
        assert_eq!(
            (bad.status, bad.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code)
        );
    }
    let bad = f
        .post(
            f.shop,
            "/subscriptions",
            None,
            &json!({ "email": "not an address", "source": "signup_form" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = f
        .post(
            f.shop,
            "/subscriptions/withdrawals",
            None,
            &json!({ "token": platform_auth::Token::generate().as_str(), "method": "one_click" }),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "orders.link_invalid")
    );
}

#[tokio::test]
async fn o13_o14_consents_are_exported_and_erased_with_the_person() {
    let f = fixture().await;
    let email = address("consenting");
    order_for(&f, &email).await;
    subscribe(&f, &email).await;
    confirm(&f, &email).await;

    let id = open_on_behalf(&f, "access", &email).await;
    let sent = step(&f, &id, "export", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let token = link_token(&email, "Your data from", "/privacy/export/").await;
    let export = f
        .post(
            f.shop,
            "/privacy/exports/open",
            None,
            &json!({ "token": token }),
        )
        .await;
    let consents = export.body["document"]["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1, "{}", export.body);
    assert_eq!(consents[0]["purpose"], "marketing_email");
    assert_eq!(consents[0]["source"], "signup_form");
    assert!(consents[0]["confirmed_at"].is_string());
    assert!(
        consents[0]["method"]
            .as_str()
            .unwrap()
            .contains("emailed link")
    );

    let id = open_on_behalf(&f, "erasure", &email).await;
    let erased = step(&f, &id, "erase", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(
        f.count(f.shop, "select count(*) from subscriptions").await,
        0
    );
    let certificate = erased.body["certificate"].to_string();
    assert!(
        certificate.contains("Newsletter subscriptions"),
        "{certificate}"
    );
}

#[tokio::test]
async fn o20_subscribers_who_never_ordered_are_told_of_a_material_policy_change() {
    let f = fixture().await;
    let (buyer, reader) = (address("buyer"), address("reader"));
    order_for(&f, &buyer).await;
    subscribe(&f, &buyer).await;
    confirm(&f, &buyer).await;
    subscribe(&f, &reader).await;
    confirm(&f, &reader).await;
    let mut tx = f.admin.begin(f.shop).await.unwrap();
    sqlx::query(
        "insert into privacy_policies (tenant_id, id, version, body, status, effective_at, \
             published_at, material) \
         values ($1, gen_random_uuid(), 1, 'We changed.', 'published', \
             now() + interval '20 days', now(), true)",
    )
    .bind(f.shop)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let queued = f
        .post(f.shop, "/policy-notices", None, &json!({ "version": 1 }))
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    assert_eq!(queued.body["queued"], 2, "one notice per person");
    let to_reader = &mails(&reader, "changing its privacy policy", 1).await[0];
    assert!(
        to_reader["text"]
            .as_str()
            .unwrap()
            .contains("you subscribed to its news")
    );
    assert!(
        to_reader["headers"]["list-unsubscribe"].is_null(),
        "a notice is no promotion"
    );
    mails(&buyer, "changing its privacy policy", 1).await;
}
