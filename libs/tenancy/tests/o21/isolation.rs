use platform_tenancy::{TenancyError, TenantDb};
use sqlx::Row;
use uuid::Uuid;

use crate::TwoTenants;

fn is_rls_violation(err: &sqlx::Error) -> bool {
    // 42501: insufficient_privilege, raised for "new row violates row-level security policy".
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("42501"))
}

#[tokio::test]
async fn o21_without_a_tenant_a_service_role_sees_nothing_and_cannot_insert() {
    let t = TwoTenants::new().await;

    // Through the explicit platform path of the tenancy API.
    let mut tx = t.admin.platform().await.unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from keys.subject_keys")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let err = sqlx::query(
        "insert into keys.subject_keys (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
         values ($1, $2, $3, 1, '\\x00', 'test', 1)",
    )
    .bind(t.a)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap_err();
    assert!(is_rls_violation(&err), "{err:?}");
    drop(tx);

    // And on a raw connection that skips the library entirely: the database itself
    // fails closed, whether the setting is absent, empty or garbage.
    for role in ["tenant_admin", "backup", "cart", "orders", "access_control"] {
        let pool = t.raw_pool(role).await;
        let n: i64 = sqlx::query_scalar("select count(*) from keys.subject_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "{role} saw rows with no tenant set");
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("select set_config('app.tenant_id', '', false)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("select count(*) from keys.subject_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 0, "{role} saw rows with an empty tenant");
        sqlx::query("select set_config('app.tenant_id', 'not-a-uuid', false)")
            .execute(&mut *conn)
            .await
            .unwrap();
        assert!(
            sqlx::query("select count(*) from keys.subject_keys")
                .fetch_one(&mut *conn)
                .await
                .is_err(),
            "{role}: a malformed tenant must be an error, not a wide-open read"
        );
    }

    // The storefront has no grant on key tables at all.
    let storefront = t.raw_pool("storefront").await;
    assert!(
        sqlx::query("select 1 from keys.subject_keys limit 1")
            .fetch_optional(&storefront)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn o21_a_tenant_cannot_read_update_delete_or_insert_rows_of_another() {
    let t = TwoTenants::new().await;
    let mut tx = t.admin.begin(t.a).await.unwrap();

    // Reading: only A's rows, and B's ids (as if guessed) find nothing.
    let visible: Vec<Uuid> = sqlx::query_scalar("select key_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(visible.len(), t.a_rows.len());
    assert!(visible.iter().all(|id| t.a_rows.contains(id)));
    let tenants: Vec<Uuid> = sqlx::query_scalar("select distinct tenant_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(tenants, vec![t.a.as_uuid()]);
    for id in &t.b_rows {
        let row = sqlx::query("select * from keys.subject_keys where key_id = $1")
            .bind(id)
            .fetch_optional(&mut tx)
            .await
            .unwrap();
        assert!(row.is_none());
        let row =
            sqlx::query("select * from keys.subject_keys where tenant_id = $1 and key_id = $2")
                .bind(t.b)
                .bind(id)
                .fetch_optional(&mut tx)
                .await
                .unwrap();
        assert!(row.is_none());
    }

    // Updating and deleting B's rows by id touches nothing.
    let updated = sqlx::query(
        "update keys.subject_keys set wrapped = null, destroyed_at = now() where key_id = any($1)",
    )
    .bind(&t.b_rows)
    .execute(&mut tx)
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 0);

    // Moving one of A's own rows to B is refused by WITH CHECK.
    let err = sqlx::query("update keys.subject_keys set tenant_id = $1 where key_id = $2")
        .bind(t.b)
        .bind(t.a_rows[0])
        .execute(&mut tx)
        .await;
    // tenant_admin holds no UPDATE grant on tenant_id: refused either way.
    assert!(err.is_err());
    drop(tx);

    let mut tx = t.admin.begin(t.a).await.unwrap();
    // Inserting a row labelled as B's is refused by WITH CHECK.
    let err = sqlx::query(
        "insert into keys.subject_keys (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
         values ($1, $2, $3, 1, '\\x00', 'test', 1)",
    )
    .bind(t.b)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap_err();
    assert!(is_rls_violation(&err), "{err:?}");
    drop(tx);

    // Deletion: orders has no DELETE grant, tenant_admin neither; prove with a role that
    // could, were there a grant: the owner, which FORCE RLS binds too.
    let owner = TenantDb::new(t.test_db.owner_pool().await.unwrap());
    let mut tx = owner.begin(t.a).await.unwrap();
    let deleted = sqlx::query("delete from keys.subject_keys where key_id = any($1)")
        .bind(&t.b_rows)
        .execute(&mut tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.unwrap();

    // B still has every row, untouched.
    let mut tx = t.admin.begin(t.b).await.unwrap();
    let rows = sqlx::query("select key_id, wrapped from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(rows.len(), t.b_rows.len());
    for row in rows {
        assert!(t.b_rows.contains(&row.get::<Uuid, _>("key_id")));
        assert!(row.get::<Option<Vec<u8>>, _>("wrapped").is_some());
    }
}

#[tokio::test]
async fn o21_unique_checks_do_not_reveal_another_tenants_values() {
    let t = TwoTenants::new().await;
    // B holds a live key for subject S. A creating a live key for the same subject id must
    // succeed: uniqueness is per tenant, so A learns nothing about B's subjects.
    let subject = Uuid::new_v4();
    for tenant in [t.b, t.a] {
        let mut tx = t.admin.begin(tenant).await.unwrap();
        sqlx::query(
            "insert into keys.subject_keys (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
             values ($1, $2, $3, 1, '\\x00', 'test', 1)",
        )
        .bind(tenant)
        .bind(Uuid::new_v4())
        .bind(subject)
        .execute(&mut tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn o21_request_code_cannot_switch_the_tenant_of_its_transaction() {
    let t = TwoTenants::new().await;
    let mut tx = t.admin.begin(t.a).await.unwrap();
    let b = t.b.to_string();
    let attempts: [&'static str; 8] = [
        "select set_config('app.tenant_id', $1, true)",
        "select pg_catalog.set_config('app.tenant_id', $1, false)",
        "set local app.tenant_id = '00000000-0000-4000-8000-000000000000'",
        "reset app.tenant_id",
        "discard all",
        "commit",
        "select 1; set app.tenant_id to 'x'",
        "do $$ begin perform 1; end $$",
    ];
    for sql in attempts {
        let q = if sql.contains("$1") {
            sqlx::query(sql).bind(b.clone())
        } else {
            sqlx::query(sql)
        };
        let err = q.execute(&mut tx).await.unwrap_err();
        assert!(TenancyError::is_forbidden_statement(&err), "{sql}: {err:?}");
    }
    // Still scoped to A, transaction intact, B's rows invisible.
    let visible: Vec<Uuid> = sqlx::query_scalar("select key_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(visible.len(), t.a_rows.len());
    assert!(visible.iter().all(|id| t.a_rows.contains(id)));
    assert_eq!(tx.tenant(), t.a);

    // The platform path cannot be turned into a tenant path either.
    let mut platform = t.admin.platform().await.unwrap();
    let err = sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(b)
        .execute(&mut platform)
        .await
        .unwrap_err();
    assert!(TenancyError::is_forbidden_statement(&err));
    let n: i64 = sqlx::query_scalar("select count(*) from keys.subject_keys")
        .fetch_one(&mut platform)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn o21_snapshot_transactions_are_scoped_and_read_only() {
    let t = TwoTenants::new().await;
    let mut tx = t.admin.begin_snapshot(t.b).await.unwrap();
    let visible: Vec<Uuid> = sqlx::query_scalar("select key_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(visible.len(), t.b_rows.len());
    assert!(visible.iter().all(|id| t.b_rows.contains(id)));
    let err = sqlx::query(
        "insert into keys.subject_keys (tenant_id, key_id, subject_id, version, wrapped, kek_id, kek_version) \
         values ($1, $2, $3, 1, '\\x00', 'test', 1)",
    )
    .bind(t.b)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap_err();
    // 25006: read_only_sql_transaction.
    assert!(
        matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("25006")),
        "{err:?}"
    );
}

#[tokio::test]
async fn o21_service_roles_cannot_create_functions_that_switch_the_tenant() {
    let t = TwoTenants::new().await;
    let b = t.b.to_string();
    // The attack of the report: nothing the text guard looks for is spelled out.
    let create = format!(
        "create function pg_temp.f() returns text language sql as \
         E'select set\\137config(''app\\056tenant_id'', ''{b}'', true)'"
    );
    let mut tx = t.admin.begin(t.a).await.unwrap();
    let err = sqlx::query(sqlx::AssertSqlSafe(create.clone()))
        .execute(&mut tx)
        .await
        .unwrap_err();
    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("42501"),
        "refused by the database: {err:?}"
    );
    drop(tx);
    // Nor on a raw connection of any request-serving role, outside the tenancy API.
    for role in [
        "storefront",
        "cart",
        "tenant_admin",
        "orders",
        "access_control",
    ] {
        let pool = t.raw_pool(role).await;
        let err = sqlx::query(sqlx::AssertSqlSafe(create.clone()))
            .execute(&pool)
            .await
            .unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{role}: {err:?}");
    }
}

/// The storefront's restrictive policies and grants hold in the database itself: on a raw
/// connection as `storefront`, with the tenant set by hand, drafts and unpublished
/// policies stay hidden, nothing can be written but view counts, and staff tables are
/// closed.
#[tokio::test]
async fn o21_the_storefront_sees_only_public_rows_even_on_a_raw_connection() {
    let t = TwoTenants::new().await;
    let mut tx = t.admin.begin(t.a).await.unwrap();
    for (handle, status) in [
        ("shown", "active"),
        ("secret", "draft"),
        ("old", "archived"),
    ] {
        sqlx::query(
            "insert into products (tenant_id, id, handle, title, description, status) \
             values ($1, $2, $3, $3, '', $4)",
        )
        .bind(t.a)
        .bind(Uuid::new_v4())
        .bind(handle)
        .bind(status)
        .execute(&mut tx)
        .await
        .unwrap();
    }
    sqlx::query(
        "insert into privacy_policies (tenant_id, id, version, body, status, effective_at, published_at) \
         values ($1, $2, 1, 'public text', 'published', now(), now()), \
                ($1, $3, 2, 'draft text', 'draft', null, null)",
    )
    .bind(t.a)
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let pool = t.raw_pool("storefront").await;
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, false)")
        .bind(t.a.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    let handles: Vec<String> = sqlx::query_scalar("select handle from products order by 1")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(handles, ["shown"]);
    let bodies: Vec<String> = sqlx::query_scalar("select body from privacy_policies")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(bodies, ["public text"]);
    for write in [
        "update products set title = 'defaced'",
        "delete from products",
        "insert into products (tenant_id, id, handle, title, description, status) \
         select tenant_id, gen_random_uuid(), 'planted', 'x', '', 'active' from store_settings",
        "update privacy_policies set body = 'rewritten'",
        "update store_settings set contact_email = 'attacker@example.com'",
        "select * from staff_accounts",
        "select * from staff_sessions",
        "select * from login_attempts",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(write))
            .execute(&mut *conn)
            .await
            .unwrap_err();
        assert!(is_rls_violation(&err), "{write}: {err:?}");
    }
    // Another tenant's id set by hand shows none of A's rows.
    sqlx::query("select set_config('app.tenant_id', $1, false)")
        .bind(t.b.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("select count(*) from products")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// A step undone to a savepoint (the restore's "changes only" attempt) leaves the
/// transaction scoped to the same tenant, keeps what came before it, and request SQL still
/// cannot open or roll back savepoints of its own.
#[tokio::test]
async fn o21_a_step_rolled_back_to_a_savepoint_keeps_the_tenant_scope() {
    let t = TwoTenants::new().await;
    let mut tx = t.admin.begin(t.a).await.unwrap();
    let destroy = "update keys.subject_keys set wrapped = null, destroyed_at = now()";
    sqlx::query(sqlx::AssertSqlSafe(format!("{destroy} where key_id = $1")))
        .bind(t.a_rows[0])
        .execute(&mut tx)
        .await
        .unwrap();
    tx.savepoint().await.unwrap();
    sqlx::query(destroy).execute(&mut tx).await.unwrap();
    // A failing statement puts the transaction in error; the savepoint clears it.
    assert!(sqlx::query("select 1 / 0").execute(&mut tx).await.is_err());
    tx.rollback_to_savepoint().await.unwrap();
    let visible: Vec<Uuid> =
        sqlx::query_scalar("select key_id from keys.subject_keys where destroyed_at is null")
            .fetch_all(&mut tx)
            .await
            .unwrap();
    assert_eq!(
        visible.len(),
        t.a_rows.len() - 1,
        "the step was undone, not the rest"
    );
    assert!(visible.iter().all(|id| t.a_rows[1..].contains(id)));
    let tenants: Vec<Uuid> = sqlx::query_scalar("select distinct tenant_id from keys.subject_keys")
        .fetch_all(&mut tx)
        .await
        .unwrap();
    assert_eq!(tenants, vec![t.a.as_uuid()]);
    for control in [
        "savepoint s",
        "rollback to savepoint scoped_step",
        "release savepoint scoped_step",
    ] {
        let err = sqlx::query(control).execute(&mut tx).await.unwrap_err();
        assert!(
            TenancyError::is_forbidden_statement(&err),
            "{control}: {err:?}"
        );
    }
    tx.savepoint().await.unwrap();
    tx.release_savepoint().await.unwrap();
    tx.commit().await.unwrap();
}
