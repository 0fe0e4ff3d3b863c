//! The grant flow through the service (O8, O21, O22): ask, be refused until an owner
//! approves, read only the granted classes, every read in the shop's audit log naming
//! the operator's pseudonym, role, employer, grant and approver; end at once; expire.

use serde_json::{Value, json};

use crate::Stack;

async fn ask(stack: &Stack, op: &crate::Operator, shop_handle: &str, classes: &[&str]) -> Value {
    let (status, body) = op
        .post(
            &stack.base,
            "/api/v1/grants",
            &json!({"shop": shop_handle, "purpose": "customer_support", "ticket": "SUP-4711",
                    "reason": "The buyer asks where parcel #1001 went", "classes": classes, "minutes": 60}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

pub(crate) async fn handle(stack: &Stack) -> String {
    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.platform().await.unwrap();
    sqlx::query_scalar("select handle from tenants where id = $1")
        .bind(stack.shop)
        .fetch_one(&mut tx)
        .await
        .unwrap()
}

#[tokio::test]
async fn o8_support_reads_addresses_under_a_shipping_grant_and_every_read_is_logged() {
    let stack = Stack::new().await;
    let alice = stack.member("alice", &["support"]).await;
    let shop = handle(&stack).await;
    let orders = format!("/api/v1/shops/{}/orders", stack.shop);

    let grant = ask(&stack, &alice, &shop, &["shipping"]).await;
    assert_eq!(grant["status"], "pending");
    // Asked twice: refused while the first is open.
    let (status, body) = alice
        .post(&stack.base, "/api/v1/grants",
            &json!({"shop": shop, "purpose": "customer_support", "ticket": "SUP-4712", "reason": "Another question from the same buyer", "classes": ["contact"]}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("grant.open"))
    );

    // Not approved yet: nothing.
    let (status, body) = alice.get(&stack.base, &orders).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("grant.none"))
    );

    let id: uuid::Uuid = grant["id"].as_str().unwrap().parse().unwrap();
    stack.approve(stack.shop, id).await;
    let (status, page) = alice.get(&stack.base, &orders).await;
    assert_eq!(status, 200, "{page}");
    let order = &page["orders"][0];
    assert_eq!(order["shipping"]["city"], "Berlin");
    assert_eq!(order["contact"], "••••");
    assert_eq!(order["buyer_ip"], "••••");
    assert_eq!(order["billing"], "••••");
    let text = page.to_string();
    assert!(
        !text.contains("erika@example.org")
            && !text.contains("···· 4242")
            && !text.contains("203.0.113")
    );

    let (status, one) = alice
        .get(&stack.base, &format!("{orders}/{}", stack.order))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["shipping"]["line1"], "Hauptstraße 5");
    assert_eq!(one["lines"][0]["quantity"], 1);
    // The console page masks the same way.
    let (status, html) = alice
        .page(
            &stack.base,
            &format!("/shops/{}/orders/{}", stack.shop, stack.order),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Hauptstraße 5")
            && html.contains("••••")
            && !html.contains("erika@example.org")
    );

    // The shop's log names who read what, under which grant, approved by whom.
    let reads = stack.audit(stack.shop, "order.list").await;
    assert_eq!(reads.len(), 1);
    let me = alice.get(&stack.base, "/api/v1/me").await.1;
    assert_eq!(reads[0]["kind"], "platform");
    assert_eq!(
        reads[0]["id"], me["pseudonym"],
        "the pseudonym, never the login or name"
    );
    assert_eq!(reads[0]["roles"], json!(["support"]));
    assert_eq!(reads[0]["entity"], "Platform Operations GmbH");
    assert_eq!(reads[0]["classes"], json!(["shipping"]));
    assert_eq!(reads[0]["purpose"], "customer_support (ticket SUP-4711)");
    let objects: Vec<String> = serde_json::from_value(reads[0]["objects"].clone()).unwrap();
    assert!(objects.contains(&format!("grant:{id}")));
    assert!(objects.iter().any(|o| o.starts_with("approver:")));
    assert!(objects.contains(&format!("order:{}", stack.order)));
    assert_eq!(
        stack.audit(stack.shop, "order.view").await.len(),
        2,
        "the API and the page"
    );
    assert_eq!(stack.audit(stack.shop, "grant.first_use").await.len(), 1);
    assert_eq!(stack.audit(stack.shop, "grant.request").await.len(), 1);
    assert_eq!(
        stack.notices(stack.shop).await,
        vec!["requested", "first_use"]
    );
    assert!(stack.audit(stack.other, "order.list").await.is_empty());

    // Alice ends it: the next read is refused, at once.
    let (status, ended) = alice
        .post(
            &stack.base,
            &format!("/api/v1/grants/{}/{id}/end", stack.shop),
            &json!({}),
        )
        .await;
    assert_eq!((status, ended["status"].as_str()), (200, Some("ended")));
    let (status, _) = alice.get(&stack.base, &orders).await;
    assert_eq!(status, 403);
    assert_eq!(stack.audit(stack.shop, "grant.end").await.len(), 1);
    assert!(
        stack
            .notices(stack.shop)
            .await
            .contains(&"ended".to_owned())
    );
}

#[tokio::test]
async fn o21_a_grant_that_ran_out_opens_nothing_and_the_sweep_records_it() {
    let stack = Stack::new().await;
    let alice = stack.member("alice", &["support", "billing_ops"]).await;
    let shop = handle(&stack).await;
    let grant = ask(&stack, &alice, &shop, &["contact", "billing"]).await;
    let id: uuid::Uuid = grant["id"].as_str().unwrap().parse().unwrap();
    stack.approve(stack.shop, id).await;
    let orders = format!("/api/v1/shops/{}/orders", stack.shop);
    let (status, page) = alice.get(&stack.base, &orders).await;
    assert_eq!(status, 200);
    assert_eq!(page["orders"][0]["contact"]["email"], "erika@example.org");
    assert_eq!(page["orders"][0]["billing"]["total_minor"], 5480);
    assert_eq!(page["orders"][0]["shipping"], "••••");

    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.begin(stack.shop).await.unwrap();
    sqlx::query("update processor.access_grants set ends_at = now() - interval '1 second' where tenant_id = $1 and id = $2")
        .bind(stack.shop)
        .bind(id)
        .execute(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, body) = alice.get(&stack.base, &orders).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("grant.none"))
    );

    assert_eq!(stack.sweeper.run().await.unwrap(), 1);
    assert_eq!(stack.sweeper.run().await.unwrap(), 0, "closed once");
    let (_, mine) = alice.get(&stack.base, "/api/v1/grants").await;
    assert_eq!(mine[0]["status"], "expired");
    assert_eq!(stack.audit(stack.shop, "grant.expire").await.len(), 1);
    assert!(
        stack
            .notices(stack.shop)
            .await
            .contains(&"expired".to_owned())
    );
}

#[tokio::test]
async fn requests_are_checked_before_anything_is_filed() {
    let stack = Stack::new().await;
    let alice = stack.member("alice", &["support"]).await;
    let shop = handle(&stack).await;
    for (body, code) in [
        (
            json!({"shop": shop, "purpose": "customer_support", "reason": "Where is the parcel of this buyer", "classes": ["shipping"]}),
            "grant.ticket_missing",
        ),
        (
            json!({"shop": shop, "purpose": "customer_support", "ticket": "S-1", "reason": "short", "classes": ["shipping"]}),
            "grant.reason_invalid",
        ),
        (
            json!({"shop": shop, "purpose": "customer_support", "ticket": "S-1", "reason": "Where is the parcel of this buyer", "classes": []}),
            "grant.classes_missing",
        ),
        (
            json!({"shop": shop, "purpose": "customer_support", "ticket": "S-1", "reason": "Where is the parcel of this buyer", "classes": ["passwords"]}),
            "grant.class_invalid",
        ),
        (
            json!({"shop": shop, "purpose": "customer_support", "ticket": "S-1", "reason": "Where is the parcel of this buyer", "classes": ["shipping"], "minutes": 1441}),
            "grant.duration_invalid",
        ),
        (
            json!({"shop": shop, "purpose": "incident", "ticket": "S-1", "reason": "Where is the parcel of this buyer", "classes": ["shipping"]}),
            "grant.purpose_invalid",
        ),
    ] {
        let (status, answer) = alice.post(&stack.base, "/api/v1/grants", &body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (422, Some(code)),
            "{body}"
        );
    }
    let (status, _) = alice
        .post(&stack.base, "/api/v1/grants", &json!({"shop": "no-such-shop", "purpose": "other", "reason": "Looking for something here", "classes": ["contact"]}))
        .await;
    assert_eq!(status, 404);
    assert!(stack.notices(stack.shop).await.is_empty());
}
