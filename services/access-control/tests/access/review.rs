//! Reviews of platform access (O10): a role not re-confirmed by another security officer
//! within 90 days, or unused for 30, is removed by the sweep (on the service's clock,
//! moved here); nobody re-confirms their own.

use chrono::Duration;
use platform_auth::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Operator, Stack};

async fn roles_of(stack: &Stack, login: &str) -> Vec<String> {
    let ac = stack.pool("access_control").await;
    let mut tx = ac.platform().await.unwrap();
    let roles = sqlx::query_scalar(
        "select r.role from processor.staff_roles r join processor.staff s on s.id = r.staff_id \
         where s.login = $1 order by r.role",
    )
    .bind(login)
    .fetch_all(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    roles
}

async fn why_removed(stack: &Stack, login: &str) -> Vec<String> {
    let ac = stack.pool("access_control").await;
    let mut tx = ac.platform().await.unwrap();
    let why = sqlx::query_scalar(
        "select e.detail ->> 'why' from processor.staff_events e join processor.staff s \
         on s.id = e.staff_id where s.login = $1 and e.action = 'role.expire' order by e.at",
    )
    .bind(login)
    .fetch_all(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    why
}

/// Alice uses her role: withdraws what she asked before and asks again.
async fn use_role(stack: &Stack, alice: &mut Operator, clock: &Clock, shop: &str) {
    alice.login_at(&stack.base, clock).await;
    let (_, mine) = alice.get(&stack.base, "/api/v1/grants").await;
    for g in mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["status"] == "pending")
    {
        let path = format!(
            "/api/v1/grants/{}/{}/end",
            g["shop_id"].as_str().unwrap(),
            g["id"].as_str().unwrap()
        );
        assert_eq!(alice.post(&stack.base, &path, &json!({})).await.0, 200);
    }
    let (status, body) = alice
        .post(&stack.base, "/api/v1/grants",
            &json!({"shop": shop, "purpose": "customer_support", "ticket": "SUP-1", "reason": "The buyer asks where the parcel went", "classes": ["shipping"]}))
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn o10_roles_unused_for_30_days_or_not_reconfirmed_in_90_are_removed() {
    let clock = Clock::manual(chrono::Utc::now());
    let mut stack = Stack::new_with(clock.clone()).await;
    let shop = crate::grants::handle(&stack).await;
    let mut alice = stack.member("alice", &["support"]).await;
    stack.member("bob", &["billing_ops"]).await;

    let (status, report) = stack.officer.get(&stack.base, "/api/v1/review").await;
    assert_eq!(status, 200);
    let row = |report: &Value, login: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["login"] == login)
            .cloned()
            .unwrap()
    };
    let sofia: Uuid = row(&report, "sofia")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let alice_id: Uuid = row(&report, "alice")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(row(&report, "bob")["roles"][0]["role"], "billing_ops");
    assert!(row(&report, "bob")["roles"][0]["use_by"].is_string());

    // Nobody re-confirms their own access.
    let (status, body) = stack
        .officer
        .post(
            &stack.base,
            &format!("/api/v1/staff/{sofia}/roles/security/confirm"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("review.own"))
    );

    // Day 20: Alice works; the officer re-confirms her.
    clock.advance(Duration::days(20));
    use_role(&stack, &mut alice, &clock, &shop).await;
    let base = stack.base.clone();
    stack.officer.login_at(&base, &clock).await;
    assert_eq!(
        stack
            .officer
            .post(
                &stack.base,
                &format!("/api/v1/staff/{alice_id}/roles/support/confirm"),
                &json!({})
            )
            .await
            .0,
        204
    );
    stack.sweeper.run().await.unwrap();
    assert_eq!(
        roles_of(&stack, "bob").await,
        vec!["billing_ops"],
        "20 days unused: kept"
    );

    // Day 35: Bob never used his role; Alice did at day 20.
    clock.advance(Duration::days(15));
    stack.sweeper.run().await.unwrap();
    assert!(roles_of(&stack, "bob").await.is_empty());
    assert_eq!(why_removed(&stack, "bob").await, vec!["unused for 30 days"]);
    assert_eq!(roles_of(&stack, "alice").await, vec!["support"]);

    // Alice keeps working every few weeks: used, but confirmed last on day 20.
    // Days 45, 70, 95 and 109.
    for step in [10, 25, 25, 14] {
        clock.advance(Duration::days(step));
        use_role(&stack, &mut alice, &clock, &shop).await;
        stack.sweeper.run().await.unwrap();
    }
    // Day 109: used yesterday, but confirmed 89 days ago: still hers.
    assert_eq!(roles_of(&stack, "alice").await, vec!["support"]);
    clock.advance(Duration::days(2));
    stack.sweeper.run().await.unwrap();
    assert!(
        roles_of(&stack, "alice").await.is_empty(),
        "91 days without re-confirmation"
    );
    assert_eq!(
        why_removed(&stack, "alice").await,
        vec!["not re-confirmed in 90 days"]
    );
}
