//! Data requests in the console (O13, O14): the owners are reminded a week before a
//! request's deadline and again the day before, by a mail that names the kind and the
//! date but never the requester; the clock is the console's injected one.

use chrono::{Duration, Months, Utc};
use platform_tenancy::{TenantDb, TenantId};
use uuid::Uuid;

use crate::App;
use crate::access::unique_shop;

/// An open request confirmed today, as the orders service writes it (its role).
async fn confirmed_request(app: &App, shop: TenantId) -> Uuid {
    let orders = TenantDb::new(app.db.pool_as("orders", 1).await.unwrap());
    let id = Uuid::new_v4();
    let mut tx = orders.begin(shop).await.unwrap();
    sqlx::query(
        "insert into privacy_requests (tenant_id, id, kind, source, status, subject_id, \
             email_sealed, verified_at, due_on) \
         values ($1, $2, 'erasure', 'visitor', 'open', $3, '\\x00', now(), \
             ((now() at time zone 'UTC')::date + interval '1 month')::date)",
    )
    .bind(shop)
    .bind(id)
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The reminders `to` received so far.
async fn reminders(to: &str) -> Vec<serde_json::Value> {
    platform_testkit::wait_for_mail(to, 0)
        .await
        .into_iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap_or("")
                .starts_with("A data request")
        })
        .collect()
}

/// Waits (10 s at most) for the `n`th reminder.
async fn wait_for_reminders(to: &str, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let got = reminders(to).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} reminders for {to}")
}

#[tokio::test]
async fn o14_owners_are_reminded_a_week_before_a_deadline_and_on_its_last_day() {
    let app = App::start().await;
    let handle = unique_shop("reminded");
    let email = format!("owner@{handle}.example");
    let owner = app.shop(&handle).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    let id = confirmed_request(&app, shop).await;
    let due = Utc::now()
        .date_naive()
        .checked_add_months(Months::new(1))
        .unwrap();

    // Eight days before the deadline: no reminder yet.
    let days = (due - Utc::now().date_naive()).num_days();
    app.clock.advance(Duration::days(days - 8));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(reminders(&email).await.is_empty());

    // A week before the deadline: the first reminder, naming the date and the request.
    app.clock.advance(Duration::days(1));
    let first = wait_for_reminders(&email, 1).await;
    assert_eq!(first.len(), 1, "{first:?}");
    let text = first[0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("/requests/{id}")), "{text}");
    assert!(
        first[0]["subject"]
            .as_str()
            .unwrap()
            .contains("7 days left")
    );

    // The day before: once more, and no more than that.
    app.clock.advance(Duration::days(6));
    let all = wait_for_reminders(&email, 2).await;
    assert!(
        all.iter()
            .any(|m| m["subject"].as_str().unwrap().contains("due tomorrow")),
        "{all:?}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(reminders(&email).await.len(), 2);
}

#[tokio::test]
async fn o8_data_requests_are_for_owners_and_customer_service_only() {
    let app = App::start().await;
    let handle = unique_shop("who-handles");
    let owner = app.shop(&handle).await;
    let support = crate::staff::member(
        &app,
        &owner,
        &crate::staff::unique("support"),
        &["support"],
        1,
    )
    .await;
    let catalog = crate::staff::member(
        &app,
        &owner,
        &crate::staff::unique("catalog"),
        &["catalog"],
        1,
    )
    .await;
    let packer = crate::staff::member(
        &app,
        &owner,
        &crate::staff::unique("packer"),
        &["fulfilment"],
        1,
    )
    .await;
    for (who, expected) in [
        (&owner, reqwest::StatusCode::OK),
        (&support, reqwest::StatusCode::OK),
        (&catalog, reqwest::StatusCode::FORBIDDEN),
        (&packer, reqwest::StatusCode::FORBIDDEN),
    ] {
        let (status, _) = who.get("/requests/new").await;
        assert_eq!(status, expected);
    }
}
