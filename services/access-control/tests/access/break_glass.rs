//! Break-glass (O8, O21, O22): a reason of 40 characters or more, an incident id, a second
//! security officer's approval (never the requester's own, refused by the database too),
//! an hour at most, the owners told at once, a post-incident note flagged until written.

use serde_json::json;
use uuid::Uuid;

use crate::Stack;
use crate::grants::handle;

const REASON: &str = "Payment provider reports duplicate captures on this shop; buyers are calling";

#[tokio::test]
async fn o8_break_glass_needs_a_second_officer_lasts_an_hour_and_owes_a_note() {
    let stack = Stack::new().await;
    let alice = stack.member("alice", &["support"]).await;
    let shop = handle(&stack).await;
    let ask = |reason: &str, minutes: i32| json!({"shop": shop, "incident_id": "INC-42", "reason": reason, "classes": ["contact"], "minutes": minutes});
    let (status, body) = alice
        .post(
            &stack.base,
            "/api/v1/break-glass",
            &ask("Urgent, buyers calling", 60),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("break_glass.reason_short"))
    );
    let (status, body) = alice
        .post(&stack.base, "/api/v1/break-glass", &ask(REASON, 61))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("break_glass.duration_invalid"))
    );
    let (status, g) = alice
        .post(&stack.base, "/api/v1/break-glass", &ask(REASON, 60))
        .await;
    assert_eq!(status, 201, "{g}");
    assert_eq!(
        (g["kind"].as_str(), g["status"].as_str()),
        (Some("break_glass"), Some("pending"))
    );
    let id = g["id"].as_str().unwrap().to_owned();
    let approve = format!("/api/v1/break-glass/{}/{id}/approve", stack.shop);

    // Not approved: nothing; a support agent cannot approve.
    let orders = format!("/api/v1/shops/{}/orders", stack.shop);
    assert_eq!(alice.get(&stack.base, &orders).await.0, 403);
    assert_eq!(alice.post(&stack.base, &approve, &json!({})).await.0, 403);

    // The security officer (another person) approves: open for an hour, from now.
    let (status, g) = stack.officer.post(&stack.base, &approve, &json!({})).await;
    assert_eq!(status, 200, "{g}");
    let starts: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(g["starts_at"].clone()).unwrap();
    let ends: chrono::DateTime<chrono::Utc> = serde_json::from_value(g["ends_at"].clone()).unwrap();
    assert_eq!(ends - starts, chrono::Duration::minutes(60));
    let (status, page) = alice.get(&stack.base, &orders).await;
    assert_eq!(status, 200);
    assert_eq!(page["orders"][0]["contact"]["email"], "erika@example.org");
    assert_eq!(page["orders"][0]["shipping"], "••••");

    // The owners are told at once; the log names both officers' acts.
    assert!(
        stack
            .notices(stack.shop)
            .await
            .contains(&"break_glass".to_owned())
    );
    let approved = stack.audit(stack.shop, "break_glass.approve").await;
    assert_eq!(approved.len(), 1);
    let officer = stack.officer.get(&stack.base, "/api/v1/me").await.1;
    assert_eq!(approved[0]["id"], officer["pseudonym"]);
    assert_eq!(approved[0]["roles"], json!(["security"]));
    assert!(
        approved[0]["purpose"]
            .as_str()
            .unwrap()
            .contains("incident INC-42")
    );

    // The note is owed, flagged in the officers' queue until written.
    let (_, queue) = stack.officer.get(&stack.base, "/api/v1/break-glass").await;
    let flagged = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id.as_str())
        .unwrap();
    let decided: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(flagged["decided_at"].clone()).unwrap();
    let due: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(flagged["note_due_at"].clone()).unwrap();
    assert_eq!(due - decided, chrono::Duration::hours(72));
    let note = format!("/api/v1/break-glass/{}/{id}/note", stack.shop);
    let (status, _) = alice
        .post(&stack.base, &note, &json!({"note": "Looked."}))
        .await;
    assert_eq!(status, 422);
    let (status, g) = alice
        .post(&stack.base, &note, &json!({"note": "Read the contact of order #1001 to call the buyer about the duplicate capture; refund made by the shop."}))
        .await;
    assert_eq!(status, 200, "{g}");
    assert!(g["note_written_at"].is_string());
    let (_, queue) = stack.officer.get(&stack.base, "/api/v1/break-glass").await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["id"] != id.as_str())
    );
    assert_eq!(
        alice
            .post(
                &stack.base,
                &note,
                &json!({"note": "A second note that would rewrite the first one entirely."})
            )
            .await
            .0,
        409
    );
}

#[tokio::test]
async fn o8_nobody_approves_their_own_break_glass_not_even_through_the_database() {
    let stack = Stack::new().await;
    let sven = stack.member("sven", &["security"]).await;
    let shop = handle(&stack).await;
    let (status, g) = stack
        .officer
        .post(&stack.base, "/api/v1/break-glass",
            &json!({"shop": shop, "incident_id": "INC-7", "reason": REASON, "classes": ["shipping"]}))
        .await;
    assert_eq!(status, 201, "{g}");
    let id: Uuid = g["id"].as_str().unwrap().parse().unwrap();
    let approve = format!("/api/v1/break-glass/{}/{id}/approve", stack.shop);
    let (status, body) = stack.officer.post(&stack.base, &approve, &json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("break_glass.own_request"))
    );

    // The row refuses it whatever the code does.
    let ac = stack.pool("access_control").await;
    let staff: Uuid = {
        let mut tx = ac.begin(stack.shop).await.unwrap();
        let s = sqlx::query_scalar("select staff_id from processor.access_grants where id = $1")
            .bind(id)
            .fetch_one(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        s
    };
    let mut tx = ac.begin(stack.shop).await.unwrap();
    let refused = sqlx::query(
        "update processor.access_grants set status = 'approved', decided_at = now(), decided_by = staff_id, \
         starts_at = now(), ends_at = now() + interval '1 hour' where tenant_id = $1 and id = $2",
    )
    .bind(stack.shop)
    .bind(id)
    .execute(&mut tx)
    .await
    .unwrap_err();
    assert_eq!(
        refused
            .as_database_error()
            .and_then(|e| e.code())
            .as_deref(),
        Some("23514"),
        "{refused} ({staff})"
    );
    drop(tx);

    let (status, g) = sven.post(&stack.base, &approve, &json!({})).await;
    assert_eq!((status, g["status"].as_str()), (200, Some("approved")));
}
