//! The disclosure log (O24): a security officer records a legally forced disclosure; the
//! owners see it at once, or, under a non-disclosure order, only when it ends: the
//! database hides it from tenant-admin's role until then, whatever that code asks.

use platform_tenancy::TenantDb;
use serde_json::json;

use crate::Stack;
use crate::grants::handle;

async fn visible_to_owners(stack: &Stack) -> i64 {
    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.begin(stack.shop).await.unwrap();
    let n = sqlx::query_scalar("select count(*) from processor.disclosures")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

fn disclosure(shop: &str) -> serde_json::Value {
    json!({"shop": shop, "authority": "Amtsgericht Berlin-Mitte", "instrument": "Herausgabebeschluss 12 Gs 345/26",
           "jurisdiction": "DE", "classes": ["contact", "shipping"], "subjects": "The buyer of order #1001"})
}

#[tokio::test]
async fn o24_a_disclosure_is_shown_to_the_owners_at_once() {
    let stack = Stack::new().await;
    let shop = handle(&stack).await;
    let alice = stack.member("alice", &["support"]).await;
    assert_eq!(
        alice
            .post(&stack.base, "/api/v1/disclosures", &disclosure(&shop))
            .await
            .0,
        403
    );
    let (status, d) = stack
        .officer
        .post(&stack.base, "/api/v1/disclosures", &disclosure(&shop))
        .await;
    assert_eq!(status, 201, "{d}");
    assert!(d["notified_at"].is_string());
    assert_eq!(visible_to_owners(&stack).await, 1);
    assert_eq!(stack.notices(stack.shop).await, vec!["disclosure"]);
    assert_eq!(stack.audit(stack.shop, "disclosure.record").await.len(), 1);
    let (_, all) = stack.officer.get(&stack.base, "/api/v1/disclosures").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn o24_a_gagged_disclosure_stays_hidden_until_the_order_ends() {
    let stack = Stack::new().await;
    let shop = handle(&stack).await;
    let mut body = disclosure(&shop);
    body["gag_until"] = json!(chrono::Utc::now() + chrono::Duration::days(30));
    let (status, refused) = stack
        .officer
        .post(&stack.base, "/api/v1/disclosures", &body)
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("disclosure.gag_invalid"))
    );
    body["gag_order"] = json!("Non-disclosure order 12 Gs 346/26");
    let (status, d) = stack
        .officer
        .post(&stack.base, "/api/v1/disclosures", &body)
        .await;
    assert_eq!(status, 201, "{d}");
    assert!(d["notified_at"].is_null());

    // Hidden from the owners' service by the database, told nothing, logged nothing.
    assert_eq!(visible_to_owners(&stack).await, 0);
    stack.sweeper.run().await.unwrap();
    assert!(stack.notices(stack.shop).await.is_empty());
    assert!(
        stack
            .audit(stack.shop, "disclosure.record")
            .await
            .is_empty()
    );

    // The order ends (moved into the past, as time would).
    let owner = TenantDb::new(stack.db.owner_pool().await.unwrap());
    let mut tx = owner.begin(stack.shop).await.unwrap();
    sqlx::query("update processor.disclosures set gag_until = now() - interval '1 minute' where tenant_id = $1")
        .bind(stack.shop)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        visible_to_owners(&stack).await,
        1,
        "visible the moment the order ends"
    );
    stack.sweeper.run().await.unwrap();
    assert_eq!(stack.notices(stack.shop).await, vec!["disclosure"]);
    assert_eq!(stack.audit(stack.shop, "disclosure.record").await.len(), 1);
    stack.sweeper.run().await.unwrap();
    assert_eq!(stack.notices(stack.shop).await.len(), 1, "told once");
}

#[tokio::test]
async fn security_officers_keep_the_log_and_the_review_in_the_console() {
    let stack = Stack::new().await;
    let shop = handle(&stack).await;
    stack.member("alice", &["support"]).await;
    let (status, review) = stack.officer.page(&stack.base, "/review").await;
    assert_eq!(status, 200);
    assert!(review.contains("alice") && review.contains("Re-confirm"));
    let r = stack
        .officer
        .client
        .post(format!("{}/disclosures", stack.base))
        .form(&[
            ("csrf", stack.officer.csrf.as_str()),
            ("shop", shop.as_str()),
            ("authority", "Tribunal judiciaire de Paris"),
            ("instrument", "Réquisition 2026/118"),
            ("jurisdiction", "FR"),
            ("subjects", "The buyer of order #1001"),
            ("shipping", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (status, log) = stack.officer.page(&stack.base, "/disclosures").await;
    assert_eq!(status, 200);
    assert!(log.contains("Tribunal judiciaire de Paris"));
    assert_eq!(visible_to_owners(&stack).await, 1);
    // A support agent sees neither page.
    let alice = stack.cert_client("alice");
    assert_ne!(
        alice
            .get(format!("{}/review", stack.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
