//! The grant is enforced by Postgres itself (O8, O21): as the `access_control` role, with
//! no grant nothing of a shop's orders is readable, and with a grant for `shipping` the
//! addresses are, but no contact, payment or network column.

use platform_tenancy::TenantDb;
use sqlx::Row;
use uuid::Uuid;

use crate::Stack;

/// Files a grant for `classes` as the access-control role would, then has the owner
/// approve it; returns its id.
async fn granted(stack: &Stack, ac: &TenantDb, staff: Uuid, classes: &[&str]) -> Uuid {
    let id = Uuid::new_v4();
    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    sqlx::query(
        "insert into processor.access_grants (tenant_id, id, staff_id, operator, operator_role, \
         operator_entity, kind, purpose, ticket, reason, classes, minutes, requested_at, \
         pending_until) values ($1, $2, $3, $4, 'support', 'Platform Operations GmbH', 'grant', \
         'customer_support', 'SUP-1', 'Parcel lost, buyer asks where it went', $5, 60, now(), \
         now() + interval '24 hours')",
    )
    .bind(stack.shop)
    .bind(id)
    .bind(staff)
    .bind(Uuid::new_v4())
    .bind(classes)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    stack.approve(stack.shop, id).await;
    id
}

async fn visible_orders(ac: &TenantDb, stack: &Stack, staff: Uuid) -> i64 {
    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from orders")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    let lines: i64 = sqlx::query_scalar("select count(*) from order_lines")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    let seen: i64 =
        sqlx::query_scalar("select count(*) from processor.orders_seen(null, null, 50)")
            .fetch_one(&mut tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, seen, "the table and the function agree on the rows");
    assert_eq!(n, lines, "one line per order");
    n
}

#[tokio::test]
async fn o21_access_control_role_reads_nothing_without_a_grant() {
    let stack = Stack::new().await;
    let ac = stack.pool("access_control").await;
    let staff = Uuid::new_v4();
    assert_eq!(visible_orders(&ac, &stack, staff).await, 0);

    // Personal columns are not even selectable on the table itself.
    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    let refused = sqlx::query("select contact_sealed from orders")
        .fetch_all(&mut tx)
        .await
        .unwrap_err();
    assert_eq!(
        refused
            .as_database_error()
            .and_then(|e| e.code())
            .as_deref(),
        Some("42501"),
        "permission denied, not an empty answer: {refused}"
    );
    drop(tx);
    for column in ["buyer_ip", "shipping_sealed", "total_minor", "subject_id"] {
        let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
        let sql = format!("select {column} from orders");
        assert!(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut tx)
                .await
                .is_err(),
            "{column} must not be selectable by access_control"
        );
    }
    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    for column in ["card_last4", "processor_token"] {
        let sql = format!("select {column} from payments");
        assert!(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut tx)
                .await
                .is_err()
        );
        tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    }
    drop(tx);

    // Without an operator named, nothing either.
    let mut tx = ac.begin(stack.shop).await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from processor.orders_seen(null, null, 50)")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn o8_a_shipping_grant_reads_addresses_and_nothing_else() {
    let stack = Stack::new().await;
    let ac = stack.pool("access_control").await;
    let staff = Uuid::new_v4();
    let grant = granted(&stack, &ac, staff, &["shipping"]).await;
    assert_eq!(visible_orders(&ac, &stack, staff).await, 1);

    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    let row = sqlx::query("select * from processor.orders_seen(null, null, 50)")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    let shipping: Option<Vec<u8>> = row.try_get("shipping_sealed").unwrap();
    assert!(shipping.is_some(), "the address comes back");
    let contact: Option<Vec<u8>> = row.try_get("contact_sealed").unwrap();
    assert!(contact.is_none(), "contact must be masked");
    let ip: Option<std::net::IpAddr> = row.try_get("buyer_ip").unwrap();
    assert!(ip.is_none(), "the IP must be masked");
    for column in ["card_brand", "card_last4", "processor_token"] {
        let v: Option<String> = row.try_get(column).unwrap();
        assert!(v.is_none(), "{column} must be masked");
    }
    let total: Option<i64> = row.try_get("total_minor").unwrap();
    assert!(total.is_none(), "totals are billing data");
    tx.commit().await.unwrap();

    // Another operator (the same role, another person) sees nothing under this grant.
    assert_eq!(visible_orders(&ac, &stack, Uuid::new_v4()).await, 0);
    // Nor does the grant open another shop.
    let mut tx = ac.begin_operator(stack.other, staff).await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from processor.orders_seen(null, null, 50)")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
    drop(tx);

    // Ended by the owner: closed at once.
    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.begin(stack.shop).await.unwrap();
    sqlx::query(
        "update processor.access_grants set status = 'ended', ended_at = now(), \
         ended_by = 'staff:' || gen_random_uuid() where tenant_id = $1 and id = $2",
    )
    .bind(stack.shop)
    .bind(grant)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(visible_orders(&ac, &stack, staff).await, 0);
}

#[tokio::test]
async fn o8_a_billing_and_contact_grant_reads_those_and_ran_out_reads_nothing() {
    let stack = Stack::new().await;
    let ac = stack.pool("access_control").await;
    let staff = Uuid::new_v4();
    let grant = granted(&stack, &ac, staff, &["contact", "billing"]).await;
    let mut tx = ac.begin_operator(stack.shop, staff).await.unwrap();
    let row = sqlx::query("select * from processor.orders_seen(null, null, 50)")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert!(
        row.try_get::<Option<Vec<u8>>, _>("contact_sealed")
            .unwrap()
            .is_some()
    );
    assert!(
        row.try_get::<Option<Vec<u8>>, _>("shipping_sealed")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        row.try_get::<Option<String>, _>("card_last4")
            .unwrap()
            .as_deref(),
        Some("4242")
    );
    assert_eq!(
        row.try_get::<Option<i64>, _>("total_minor").unwrap(),
        Some(5480)
    );
    assert!(
        row.try_get::<Option<std::net::IpAddr>, _>("buyer_ip")
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();

    // The end passes (the owner's role may move it, as an early end would).
    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.begin(stack.shop).await.unwrap();
    sqlx::query(
        "update processor.access_grants set ends_at = now() - interval '1 second' \
         where tenant_id = $1 and id = $2",
    )
    .bind(stack.shop)
    .bind(grant)
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        visible_orders(&ac, &stack, staff).await,
        0,
        "a grant past its end opens nothing"
    );
}

#[tokio::test]
async fn o21_tenant_admin_cannot_read_platform_staff_or_orders_seen() {
    let stack = Stack::new().await;
    let admin = stack.pool("tenant_admin").await;
    let mut tx = admin.platform().await.unwrap();
    assert!(
        sqlx::query("select * from processor.staff")
            .fetch_all(&mut tx)
            .await
            .is_err()
    );
    let mut tx = admin.begin(stack.shop).await.unwrap();
    assert!(
        sqlx::query("select * from processor.orders_seen(null, null, 50)")
            .fetch_all(&mut tx)
            .await
            .is_err()
    );
}
