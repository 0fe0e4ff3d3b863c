//! O21 tenant isolation, proved against a real Postgres through the service roles.
//!
//! Every test gets its own database (platform-testkit), migrated by the owner role, and
//! touches tenant rows only as a service role: a superuser would bypass row-level security
//! and prove nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod isolation;
mod lint;
mod pool_hygiene;

use platform_tenancy::{TenantDb, TenantId};
use platform_testkit::TestDb;
use sqlx::PgPool;
use uuid::Uuid;

/// Creates a tenant through the platform path, as the merchant-administration role.
pub async fn create_tenant(db: &TenantDb, handle: &str) -> TenantId {
    let id = TenantId::random();
    let mut tx = db.platform().await.unwrap();
    sqlx::query(
        "insert into tenants (id, handle, display_name, host_names) values ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(handle)
    .bind(format!("Shop {handle}"))
    .bind(vec![format!("{handle}.localhost")])
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Inserts `n` key rows for `tenant` (a real tenant table) and returns their ids.
pub async fn insert_rows(db: &TenantDb, tenant: TenantId, n: usize) -> Vec<Uuid> {
    let mut tx = db.begin(tenant).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..n {
        let key_id = Uuid::new_v4();
        sqlx::query(
            "insert into keys.subject_keys (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
             values ($1, $2, $3, 1, '\\x00', 'test', 1)",
        )
        .bind(tenant)
        .bind(key_id)
        .bind(Uuid::new_v4())
        .execute(&mut tx)
        .await
        .unwrap();
        ids.push(key_id);
    }
    tx.commit().await.unwrap();
    ids
}

/// A database with two tenants holding rows, and pools for the roles the tests use.
pub struct TwoTenants {
    pub test_db: TestDb,
    pub admin: TenantDb,
    pub a: TenantId,
    pub b: TenantId,
    pub a_rows: Vec<Uuid>,
    pub b_rows: Vec<Uuid>,
}

impl TwoTenants {
    pub async fn new() -> Self {
        let test_db = TestDb::new().await.unwrap();
        let admin = TenantDb::new(test_db.pool_as("tenant_admin", 4).await.unwrap());
        let a = create_tenant(&admin, "shop-a").await;
        let b = create_tenant(&admin, "shop-b").await;
        let a_rows = insert_rows(&admin, a, 3).await;
        let b_rows = insert_rows(&admin, b, 5).await;
        TwoTenants {
            test_db,
            admin,
            a,
            b,
            a_rows,
            b_rows,
        }
    }

    /// A raw pool as a service role: it bypasses the tenancy API, to show what the
    /// database itself enforces.
    pub async fn raw_pool(&self, role: &str) -> PgPool {
        self.test_db.pool_as(role, 2).await.unwrap()
    }
}
