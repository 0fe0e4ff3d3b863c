//! Retention (O15) on the console's injected clock: the daily run removes staff sessions
//! and login attempts once they are older than the shop's days, and reports it; days
//! outside the platform's bounds are refused.

use chrono::Duration;
use platform_tenancy::{TenantDb, TenantId};
use reqwest::StatusCode;

use crate::App;
use crate::access::unique_shop;

async fn count(app: &App, shop: TenantId, sql: &'static str) -> i64 {
    let db = TenantDb::new(app.db.pool_as("tenant_admin", 1).await.unwrap());
    let mut tx = db.begin(shop).await.unwrap();
    let n = sqlx::query_scalar(sql).fetch_one(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test]
async fn o15_the_daily_run_removes_staff_sessions_and_login_attempts_past_their_days() {
    let app = App::start().await;
    let owner = app.shop(&unique_shop("retained")).await;
    let (_, me) = owner.get("/api/v1/me").await;
    let shop: TenantId = me["tenant_id"].as_str().unwrap().parse().unwrap();
    assert!(count(&app, shop, "select count(*) from login_attempts").await > 0);

    // Today's run finds nothing past its time.
    for _ in 0..100 {
        if count(&app, shop, "select count(*) from retention_runs").await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(count(&app, shop, "select count(*) from login_attempts").await > 0);

    // 91 days later (the default is 90): the next daily run removes them and says so.
    app.clock.advance(Duration::days(91));
    for _ in 0..100 {
        if count(
            &app,
            shop,
            "select count(*) from retention_runs where not dry_run",
        )
        .await
            > 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        count(&app, shop, "select count(*) from login_attempts").await,
        0
    );
    assert_eq!(
        count(&app, shop, "select count(*) from staff_sessions").await,
        0
    );
    let removed = count(
        &app,
        shop,
        "select ((counts->>'login_attempts')::int8 + (counts->>'staff_sessions')::int8) \
         from retention_runs where not dry_run order by at desc limit 1",
    )
    .await;
    assert!(removed >= 2, "{removed}");
}

#[tokio::test]
async fn o15_retention_outside_the_platforms_bounds_is_refused_and_changes_nothing() {
    let app = App::start().await;
    let owner = app.shop(&unique_shop("bounded")).await;
    let page = owner.page("/settings/retention").await;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("abandoned_carts", "30".to_owned()),
        ("order_details", "5".to_owned()),
        ("buyer_ips", "90".to_owned()),
        ("staff_sessions", "90".to_owned()),
        ("view_counts", "400".to_owned()),
        ("delivered_mail", "90".to_owned()),
    ];
    let (status, body) = owner.post_form("/settings/retention", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("30 to 3650 days"), "{body}");
    // The form comes back as typed, the refused field marked with the message under it.
    assert!(
        body.contains("value=\"5\" aria-invalid=\"true\" aria-describedby=\"order_details-error\"")
            && body.contains("id=\"order_details-error\" role=\"alert\"")
            && body.contains("value=\"400\""),
        "{body}"
    );
    form[2].1 = "365".to_owned();
    let (status, _) = owner.post_form("/settings/retention", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = owner.page("/settings/retention").await;
    assert!(page.contains("value=\"365\""), "{page}");
}
