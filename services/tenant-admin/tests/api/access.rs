//! Platform access as the owners decide it (O8, O21, O22): a request filed by
//! access-control (here written as its database role would) waits for an owner; approving
//! needs a fresh password and code and starts the clock; denying and ending are immediate;
//! every decision is in the audit log and mailed to the owners.

use chrono::Duration;
use platform_tenancy::{TenantDb, TenantId};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::{App, PASSWORD};

/// A shop handle of this run only (the dev mail server keeps earlier runs' mail).
pub(crate) fn unique_shop(name: &str) -> String {
    format!("{name}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

/// A request as access-control files it, as the `access_control` role.
async fn filed(app: &App, shop: TenantId, classes: &[&str], reason: &str) -> Uuid {
    let ac = TenantDb::new(app.db.pool_as("access_control", 1).await.unwrap());
    let staff = Uuid::new_v4();
    let id = Uuid::new_v4();
    let mut tx = ac.begin_operator(shop, staff).await.unwrap();
    sqlx::query(
        "insert into processor.access_grants (tenant_id, id, staff_id, operator, operator_role, \
         operator_entity, kind, purpose, ticket, reason, classes, minutes, requested_at, \
         pending_until) values ($1, $2, $3, $4, 'support', 'Platform Operations GmbH', 'grant', \
         'customer_support', 'SUP-9', $5, $6, 90, now(), now() + interval '24 hours')",
    )
    .bind(shop)
    .bind(id)
    .bind(staff)
    .bind(Uuid::new_v4())
    .bind(reason)
    .bind(classes)
    .execute(&mut tx)
    .await
    .unwrap();
    sqlx::query(
        "insert into processor.grant_notices (tenant_id, id, grant_id, kind) values ($1, $2, $3, 'requested')",
    )
    .bind(shop)
    .bind(Uuid::new_v4())
    .bind(id)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn o8_owners_decide_platform_access_and_every_decision_is_logged_and_mailed() {
    let app = App::start().await;
    let handle = unique_shop("lockbox-shop");
    let email = format!("owner@{handle}.example");
    let owner = app.shop(&handle).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    let parcel = filed(
        &app,
        shop,
        &["shipping"],
        "Buyer asks where parcel #1001 went",
    )
    .await;
    let nosy = filed(
        &app,
        shop,
        &["contact", "billing"],
        "Checking a payout dispute",
    )
    .await;

    // The owner is told, with who asks, why, for what and how long.
    let mails = platform_testkit::wait_for_mail(&email, 2).await;
    let text: String = mails
        .iter()
        .map(|m| m["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        text.contains("Buyer asks where parcel #1001 went"),
        "{text}"
    );
    assert!(text.contains("Platform Operations GmbH"), "{text}");
    assert!(text.contains("shipping for 90 minutes"), "{text}");

    let (status, list) = owner.get("/api/v1/access-grants").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|g| g["status"] == "pending")
    );
    let (status, page) = owner.get("/access").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("Checking a payout dispute"));

    // Approving opens personal data to someone outside the shop: password and code again.
    app.clock.advance(Duration::minutes(6));
    let (status, body) = owner
        .post(
            &format!("/api/v1/access-grants/{parcel}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.reauth_required"))
    );
    let secret = app.secrets.lock().unwrap().get(&email).cloned().unwrap();
    let (status, _) = owner
        .post(
            "/api/v1/reauth",
            json!({ "password": PASSWORD, "code": app.code(&secret) }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, g) = owner
        .post(
            &format!("/api/v1/access-grants/{parcel}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["status"], "approved");
    let starts: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(g["starts_at"].clone()).unwrap();
    let ends: chrono::DateTime<chrono::Utc> = serde_json::from_value(g["ends_at"].clone()).unwrap();
    assert_eq!(
        ends - starts,
        Duration::minutes(90),
        "the clock starts at approval"
    );
    assert_eq!(g["decided_by"], me["staff_id"]);
    let (status, again) = owner
        .post(
            &format!("/api/v1/access-grants/{parcel}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("access.not_open"))
    );

    let (status, g) = owner
        .post(&format!("/api/v1/access-grants/{nosy}/deny"), json!({}))
        .await;
    assert_eq!(
        (status, g["status"].as_str()),
        (StatusCode::OK, Some("denied"))
    );
    let (status, g) = owner
        .post(&format!("/api/v1/access-grants/{parcel}/end"), json!({}))
        .await;
    assert_eq!(
        (status, g["status"].as_str()),
        (StatusCode::OK, Some("ended"))
    );
    assert_eq!(
        g["ended_by"],
        format!("staff:{}", me["staff_id"].as_str().unwrap())
    );
    let (status, _) = owner
        .post(&format!("/api/v1/access-grants/{parcel}/end"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = owner
        .post(
            &format!("/api/v1/access-grants/{}/deny", Uuid::new_v4()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The decisions, in the audit log and in the owners' mail.
    let (_, log) = owner
        .get(&format!("/api/v1/audit?object=grant:{parcel}"))
        .await;
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"grant.approve") && actions.contains(&"grant.end"),
        "{log}"
    );
    let mails = platform_testkit::wait_for_mail(&email, 5).await;
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or(""))
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("platform access approved")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("platform access denied"))
    );
    assert!(subjects.iter().any(|s| s.contains("platform access ended")));
}

#[tokio::test]
async fn o8_only_owners_see_or_decide_platform_access() {
    let app = App::start().await;
    let handle = unique_shop("lockbox-two");
    let owner = app.shop(&handle).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    let id = filed(
        &app,
        shop,
        &["shipping"],
        "Buyer asks where the parcel went",
    )
    .await;
    let member = crate::staff::member(
        &app,
        &owner,
        &crate::staff::unique("clerk"),
        &["billing"],
        1,
    )
    .await;
    assert_eq!(
        member.get("/api/v1/access-grants").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .post(&format!("/api/v1/access-grants/{id}/approve"), json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Another shop's owner sees nothing of it and cannot decide it.
    let stranger = app.shop(&unique_shop("lockbox-three")).await;
    let (_, list) = stranger.get("/api/v1/access-grants").await;
    assert_eq!(list, json!([]));
    assert_eq!(
        stranger
            .post(&format!("/api/v1/access-grants/{id}/deny"), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn o8_owners_see_a_banner_while_the_platform_holds_break_glass_and_can_end_it() {
    let app = App::start().await;
    let owner = app.shop(&unique_shop("lockbox-glass")).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    let (_, page) = owner.get("/products").await;
    assert!(!page.as_str().unwrap().contains("emergency access"));

    // Approved by a second security officer in access-control (as its role writes it).
    let ac = TenantDb::new(app.db.pool_as("access_control", 1).await.unwrap());
    let id = Uuid::new_v4();
    let mut tx = ac.begin_operator(shop, Uuid::new_v4()).await.unwrap();
    sqlx::query(
        "insert into processor.access_grants (tenant_id, id, staff_id, operator, operator_role, \
         operator_entity, kind, purpose, reason, incident_id, classes, minutes, requested_at, \
         pending_until, status, decided_at, decided_by, starts_at, ends_at) \
         values ($1, $2, $3, $4, 'support', 'Platform Operations GmbH', 'break_glass', 'incident', \
         'Payment provider reports duplicate captures; buyers are calling the platform', 'INC-42', \
         '{contact}', 60, now(), now() + interval '24 hours', 'approved', now(), $5, now(), \
         now() + interval '1 hour')",
    )
    .bind(shop)
    .bind(id)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let (_, page) = owner.get("/products").await;
    assert!(
        page.as_str().unwrap().contains("emergency access"),
        "the banner is on every page"
    );
    let (status, g) = owner
        .post(&format!("/api/v1/access-grants/{id}/end"), json!({}))
        .await;
    assert_eq!(
        (status, g["status"].as_str()),
        (StatusCode::OK, Some("ended"))
    );
    let (_, page) = owner.get("/products").await;
    assert!(!page.as_str().unwrap().contains("emergency access"));
}

#[tokio::test]
async fn o10_owners_get_a_monthly_summary_of_platform_access() {
    let app = App::start().await;
    let handle = unique_shop("lockbox-month");
    let email = format!("owner@{handle}.example");
    let owner = app.shop(&handle).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    filed(&app, shop, &["shipping"], "Buyer asks where parcel #7 went").await;
    platform_testkit::wait_for_mail(&email, 1).await;
    // Into the next month: the month the shop was opened in is summed up (beside the
    // monthly access review).
    app.clock.advance(Duration::days(32));
    let mails = platform_testkit::wait_for_mail(&email, 3).await;
    let summary = mails
        .iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .unwrap_or("")
                .contains("platform access in")
        })
        .unwrap_or_else(|| panic!("no summary in {mails:?}"));
    let text = summary["text"].as_str().unwrap();
    assert!(
        text.contains("shipping for 90 minutes") && text.contains("Platform Operations GmbH"),
        "{text}"
    );
}
