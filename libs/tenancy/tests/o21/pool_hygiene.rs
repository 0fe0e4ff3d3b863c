use std::sync::Arc;

use platform_tenancy::{TenantDb, TenantId};
use uuid::Uuid;

use crate::{create_tenant, insert_rows};

/// Checks one transaction's view: every row belongs to `tenant` and all of them are there.
async fn check_view(db: &TenantDb, tenant: TenantId, expected: &[Uuid], commit: bool) {
    let mut tx = db.begin(tenant).await.unwrap();
    let rows: Vec<(Uuid, Uuid)> = sqlx::query_as("select tenant_id, key_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        expected.len(),
        "tenant {tenant} saw a foreign or missing row"
    );
    for (owner, key) in rows {
        assert_eq!(
            owner,
            tenant.as_uuid(),
            "tenant {tenant} saw another tenant's row"
        );
        assert!(expected.contains(&key));
    }
    if commit {
        tx.commit().await.unwrap();
    }
    // Otherwise dropped: rolled back, connection returned to the pool mid-scope.
}

#[tokio::test]
async fn o21_pooled_connections_never_carry_a_tenant_into_the_next_transaction() {
    let test_db = platform_testkit::TestDb::new().await.unwrap();
    let admin = TenantDb::new(test_db.pool_as("tenant_admin", 2).await.unwrap());
    let a = create_tenant(&admin, "pool-a").await;
    let b = create_tenant(&admin, "pool-b").await;
    let a_rows = Arc::new(insert_rows(&admin, a, 4).await);
    let b_rows = Arc::new(insert_rows(&admin, b, 7).await);

    // Two connections, four workers, 1,200 transactions: A and B interleave on the same
    // two connections, some commit, some are dropped, some are platform-level.
    let db = TenantDb::new(test_db.pool_as("backup", 2).await.unwrap());
    let mut workers = Vec::new();
    for w in 0..4u32 {
        let db = db.clone();
        let (a_rows, b_rows) = (a_rows.clone(), b_rows.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..300u32 {
                let commit = (i + w) % 3 != 0;
                match (i + w) % 5 {
                    4 => {
                        let mut tx = db.platform().await.unwrap();
                        let n: i64 = sqlx::query_scalar("select count(*) from keys.subject_keys")
                            .fetch_one(&mut tx)
                            .await
                            .unwrap();
                        assert_eq!(n, 0, "the platform path saw tenant rows");
                    }
                    k if k % 2 == 0 => check_view(&db, a, &a_rows, commit).await,
                    _ => check_view(&db, b, &b_rows, commit).await,
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
}
