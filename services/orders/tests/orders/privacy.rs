//! Data-subject requests (O13, O14) through the orders API, with mail read back from the
//! development SMTP server and the rows read as the `orders` role.

use std::time::Duration;

use chrono::{Datelike, Months, Utc};
use platform_orders_api::{CertificateKey, ErasureCertificate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::mail::wait_for_mail;
use crate::{Fixture, lines, variant};

pub(crate) async fn fixture() -> Fixture {
    Fixture::build_with_mail(
        false,
        Duration::from_secs(3600),
        "tenant-admin",
        Some(platform_testkit::smtp_url()),
    )
    .await
}

pub(crate) fn address(tag: &str) -> String {
    format!("{tag}-{}@buyer.example", Uuid::new_v4().simple())
}

/// Places an order for `email`; returns its id.
pub(crate) async fn order_for(f: &Fixture, email: &str) -> String {
    let boots = variant(&f.admin, f.shop, "Boots", 11900, 5).await;
    let mut body = f.order(f.shop, lines(&[(boots, 1)])).await;
    body["contact"]["email"] = json!(email);
    let placed = f.place(f.shop, &Uuid::new_v4().to_string(), &body).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    placed.body["order_id"].as_str().unwrap().to_owned()
}

/// The token in the link of the newest mail to `to` whose subject contains `subject`.
pub(crate) async fn link_token(to: &str, subject: &str, path: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mail = wait_for_mail(to).await;
        if let Some(m) = mail
            .iter()
            .rev()
            .find(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
        {
            let text = m["text"].as_str().unwrap();
            let start = text.find(path).unwrap_or_else(|| panic!("{text}")) + path.len();
            return text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no “{subject}” mail"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn open_on_behalf(f: &Fixture, kind: &str, email: &str) -> String {
    let opened = f
        .post(
            f.shop,
            "/privacy/requests/on-behalf",
            None,
            &json!({ "staff_id": Uuid::new_v4(), "kind": kind, "email": email }),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    opened.body["id"].as_str().unwrap().to_owned()
}

/// Moves an order along, as the orders role (the service's own transitions are tested
/// elsewhere).
async fn set_status(f: &Fixture, order: &str, status: &str) {
    let db = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = db.begin(f.shop).await.unwrap();
    sqlx::query("update orders set status = $2 where id = $1::uuid")
        .bind(order)
        .bind(status)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub(crate) async fn step(f: &Fixture, id: &str, step: &str, body: Value) -> crate::Answer {
    f.post(
        f.shop,
        &format!("/privacy/requests/{id}/{step}"),
        None,
        &body,
    )
    .await
}

#[tokio::test]
async fn o13_a_confirmed_access_request_sends_everything_held_by_a_three_day_link() {
    let f = fixture().await;
    let email = address("ada");
    order_for(&f, &email).await;
    order_for(&f, &address("somebody-else")).await;

    // The same answer for a known and an unknown address (no enumeration).
    let known = f
        .post(
            f.shop,
            "/privacy/requests",
            None,
            &json!({ "kind": "access", "email": email }),
        )
        .await;
    let unknown = f
        .post(
            f.shop,
            "/privacy/requests",
            None,
            &json!({ "kind": "access", "email": address("nobody") }),
        )
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    // Nothing reaches the merchant before the visitor confirms.
    let list = f.get(f.shop, "/privacy/requests").await;
    assert_eq!(list.body["requests"], json!([]), "{}", list.body);

    let token = link_token(&email, "Please confirm", "/privacy/confirm/").await;
    let confirmed = f
        .post(
            f.shop,
            "/privacy/confirmations",
            None,
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let due = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(1))
        .unwrap();
    assert_eq!(confirmed.body["due_on"], json!(due));
    // Pressed again (a double click, a reload): the same answer, nothing new.
    let again = f
        .post(
            f.shop,
            "/privacy/confirmations",
            None,
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(
        (again.status, &again.body),
        (confirmed.status, &confirmed.body)
    );

    let list = f.get(f.shop, "/privacy/requests").await;
    let requests = list.body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{}", list.body);
    assert_eq!(requests[0]["status"], "open");
    let id = requests[0]["id"].as_str().unwrap();
    let detail = f.get(f.shop, &format!("/privacy/requests/{id}")).await;
    assert_eq!(detail.body["email"], json!(email));
    assert_eq!(detail.body["orders"].as_array().unwrap().len(), 1);

    // An access request is answered with an export, not an erasure.
    let wrong = step(&f, id, "erase", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(wrong.status, StatusCode::CONFLICT);
    let sent = step(&f, id, "export", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert_eq!(sent.body["summary"]["status"], "completed");

    let token = link_token(&email, "Your data from", "/privacy/export/").await;
    let export = f
        .post(
            f.shop,
            "/privacy/exports/open",
            None,
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    let doc = &export.body["document"];
    assert_eq!(doc["email"], json!(email));
    let orders = doc["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "only this buyer's orders");
    assert_eq!(orders[0]["contact"]["name"], "Ada Lovelace");
    assert_eq!(orders[0]["shipping"]["city"], "Berlin");
    assert_eq!(orders[0]["buyer_ip"], "203.0.113.77");
    assert!(!doc.to_string().contains("somebody-else"));
    assert!(
        doc["mails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "request_verify")
    );
    assert_eq!(doc["requests"].as_array().unwrap().len(), 1);
    for part in [
        "purposes",
        "categories",
        "recipients",
        "retention",
        "rights",
    ] {
        assert!(!doc["about"][part].as_array().unwrap().is_empty(), "{part}");
    }
    let expires: chrono::DateTime<Utc> =
        serde_json::from_value(export.body["expires_at"].clone()).unwrap();
    let days = (expires - Utc::now()).num_hours();
    assert!((71..=72).contains(&days), "{days} hours");
    // The link's token is forgotten once mailed; only its hash stays.
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from privacy_exports where token_sealed is not null"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn o14_erasure_pseudonymises_the_orders_destroys_the_keys_and_signs_a_certificate() {
    let f = fixture().await;
    let email = address("grace");
    let order = order_for(&f, &email).await;
    let id = open_on_behalf(&f, "erasure", &email).await;

    // A paid order still to be shipped needs its address: ship or refund first.
    set_status(&f, &order, "paid").await;
    let blocked = step(&f, &id, "erase", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(blocked.status, StatusCode::CONFLICT, "{}", blocked.body);
    assert_eq!(blocked.body["error"]["code"], "orders.request_state");
    set_status(&f, &order, "delivered").await;

    let erased = step(&f, &id, "erase", json!({ "staff_id": Uuid::new_v4() })).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(erased.body["summary"]["status"], "completed");
    let certificate: ErasureCertificate =
        serde_json::from_value(erased.body["certificate"].clone()).unwrap();
    let key: CertificateKey = f
        .client
        .get(format!("{}/v1/certificate-key", f.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(certificate.verifies(&key), "the certificate is signed");
    let mut forged = certificate.clone();
    forged.kept.clear();
    assert!(
        !forged.verifies(&key),
        "an edited certificate does not verify"
    );
    let accounts = &certificate.kept[0];
    assert_eq!(accounts.until.year(), Utc::now().year() + 10);
    assert!(certificate.backups.last_expires_on > Utc::now().date_naive());
    assert!(!certificate.erased.is_empty());
    assert!(
        !serde_json::to_string(&certificate)
            .unwrap()
            .contains(&email)
    );

    // The order stays for the accounts, without the person.
    let detail = f.get(f.shop, &format!("/orders/{order}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["contact"]["email"], "");
    assert_eq!(detail.body["shipping"], Value::Null);
    assert_eq!(detail.body["buyer_ip"], Value::Null);
    assert!(detail.body["erased_at"].is_string());
    assert_eq!(detail.body["summary"]["total_minor"], 12390);
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from orders where erased_at is not null and country = 'DE' \
             and contact_sealed is null and shipping_sealed is null and email_index is null \
             and buyer_ip is null"
        )
        .await,
        1
    );
    // The buyer's key is destroyed and the ledger will erase them again on any restore.
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from keys.subject_keys k join orders o on o.subject_id = k.subject_id \
             where k.destroyed_at is null"
        )
        .await,
        0
    );
    assert_eq!(
        f.count(
            f.shop,
            "select count(*) from ledger.erasure_log l join orders o on o.subject_id = l.subject_id"
        )
        .await,
        1
    );

    // The requester receives the certificate; then their email on the request goes too.
    let mail = wait_for_mail(&email).await;
    assert!(
        mail.iter()
            .any(|m| m["subject"].as_str().unwrap_or("").contains("was erased")),
        "{mail:?}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let detail = f.get(f.shop, &format!("/privacy/requests/{id}")).await;
        if detail.body["email"].is_null() {
            assert!(detail.body["certificate"].is_object());
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", detail.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn o14_a_deadline_is_extended_once_by_at_most_two_months_with_a_reason_sent() {
    let f = fixture().await;
    let email = address("linus");
    let id = open_on_behalf(&f, "access", &email).await;
    let detail = f.get(f.shop, &format!("/privacy/requests/{id}")).await;
    let due: chrono::NaiveDate =
        serde_json::from_value(detail.body["summary"]["due_on"].clone()).unwrap();
    assert_eq!(
        Some(due),
        Utc::now().date_naive().checked_add_months(Months::new(1))
    );
    let limit = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(3))
        .unwrap();
    let staff = Uuid::new_v4();
    let reason = "We are recovering order records from our archive.";

    let too_far = step(
        &f,
        &id,
        "extend",
        json!({ "staff_id": staff, "until": limit.succ_opt(), "reason": reason }),
    )
    .await;
    assert_eq!(too_far.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_far.body["error"]["code"], "orders.extension_invalid");
    let no_reason = step(
        &f,
        &id,
        "extend",
        json!({ "staff_id": staff, "until": limit, "reason": "busy" }),
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let extended = step(
        &f,
        &id,
        "extend",
        json!({ "staff_id": staff, "until": limit, "reason": reason }),
    )
    .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.body);
    assert_eq!(extended.body["summary"]["extended_to"], json!(limit));
    let twice = step(
        &f,
        &id,
        "extend",
        json!({ "staff_id": staff, "until": limit, "reason": reason }),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let mail = wait_for_mail(&email).await;
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains(reason), "{text}");

    // A refusal needs a reason too, and closes the request.
    let refused = step(
        &f,
        &id,
        "refuse",
        json!({ "staff_id": staff, "text": "no" }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refused = step(
        &f,
        &id,
        "refuse",
        json!({ "staff_id": staff, "text": "We could not verify that this address is yours." }),
    )
    .await;
    assert_eq!(
        refused.body["summary"]["status"], "refused",
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn malformed_requests_are_refused_with_a_code_and_store_nothing() {
    let f = fixture().await;
    for body in [
        json!({ "kind": "access", "email": "not an email" }),
        json!({ "kind": "correction", "email": address("x") }),
        json!({ "kind": "everything", "email": address("x") }),
    ] {
        let answer = f.post(f.shop, "/privacy/requests", None, &body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let bad_token = f
        .post(
            f.shop,
            "/privacy/confirmations",
            None,
            &json!({ "token": "x" }),
        )
        .await;
    assert_eq!(bad_token.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.count(f.shop, "select count(*) from privacy_requests")
            .await,
        0
    );
}

/// A retention run as of `days` from now.
async fn retention(f: &Fixture, days: i64, dry_run: bool) -> Value {
    let now = Utc::now() + chrono::Duration::days(days);
    let answer = f
        .post(
            f.shop,
            "/retention",
            None,
            &json!({ "now": now, "dry_run": dry_run }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

#[tokio::test]
async fn o15_order_details_go_the_chosen_days_after_delivery_and_ips_sooner_previewed_first() {
    let f = fixture().await;
    let delivered = order_for(&f, &address("kept")).await;
    let open = order_for(&f, &address("open")).await;
    set_status(&f, &delivered, "delivered").await;
    let db = platform_tenancy::TenantDb::new(f.db.pool_as("orders", 1).await.unwrap());
    let mut tx = db.begin(f.shop).await.unwrap();
    sqlx::query("update orders set delivered_at = now() where id = $1::uuid")
        .bind(&delivered)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let contact = |body: &Value| body["contact"]["email"].as_str().unwrap_or("").to_owned();

    // Defaults: details 730 days after delivery, IPs 90 days after the order.
    let early = retention(&f, 89, true).await;
    assert_eq!(
        (early["order_details"].as_i64(), early["buyer_ips"].as_i64()),
        (Some(0), Some(0))
    );
    let preview = retention(&f, 729, true).await;
    assert_eq!(
        (
            preview["order_details"].as_i64(),
            preview["buyer_ips"].as_i64()
        ),
        (Some(0), Some(2))
    );
    let preview = retention(&f, 731, true).await;
    assert_eq!(preview["order_details"], 1, "{preview}");
    // A preview changes nothing.
    let detail = f.get(f.shop, &format!("/orders/{delivered}")).await;
    assert!(contact(&detail.body).starts_with("kept-"));
    assert!(detail.body["buyer_ip"].is_string());

    let done = retention(&f, 731, false).await;
    assert_eq!(
        (done["order_details"].as_i64(), done["buyer_ips"].as_i64()),
        (Some(1), Some(2))
    );
    let detail = f.get(f.shop, &format!("/orders/{delivered}")).await;
    assert_eq!(contact(&detail.body), "");
    assert!(detail.body["erased_at"].is_string() && detail.body["buyer_ip"].is_null());
    assert_eq!(
        detail.body["summary"]["total_minor"], 12390,
        "the accounts keep the order"
    );
    // The open order keeps its buyer (only its IP went).
    let other = f.get(f.shop, &format!("/orders/{open}")).await;
    assert!(contact(&other.body).starts_with("open-"));
    assert!(other.body["buyer_ip"].is_null());
    // Nothing is left to do a second time.
    let again = retention(&f, 731, false).await;
    assert_eq!(
        (again["order_details"].as_i64(), again["buyer_ips"].as_i64()),
        (Some(0), Some(0))
    );
}
