use platform_tenancy::lint_catalog;
use platform_testkit::{SERVICE_ROLES, TestDb};
use sqlx::Connection;

#[tokio::test]
async fn o21_catalog_lint_passes_on_the_migrated_schema() {
    let db = TestDb::new().await.unwrap();
    let owner = db.owner_pool().await.unwrap();
    let violations = lint_catalog(&owner, &SERVICE_ROLES).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[tokio::test]
async fn o21_catalog_lint_fails_when_a_policy_is_dropped() {
    let db = TestDb::new().await.unwrap();
    let mut su = db.superuser().await.unwrap();
    sqlx::raw_sql("drop policy tenant_isolation on keys.tenant_keys")
        .execute(&mut su)
        .await
        .unwrap();
    su.close().await.unwrap();
    let owner = db.owner_pool().await.unwrap();
    let violations = lint_catalog(&owner, &SERVICE_ROLES).await.unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.object == "keys.tenant_keys" && v.rule == "policy_missing"),
        "{violations:#?}"
    );
}

#[tokio::test]
async fn o21_catalog_lint_catches_every_kind_of_unsafe_table() {
    let db = TestDb::new().await.unwrap();
    let mut su = db.superuser().await.unwrap();
    // Each table breaks one rule; the lint must name each of them.
    sqlx::raw_sql(
        "create table not_forced (tenant_id uuid not null, id uuid, primary key (tenant_id, id));
         alter table not_forced enable row level security;
         create policy p on not_forced
             using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
             with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

         create table widened (tenant_id uuid not null, id uuid, primary key (tenant_id, id));
         alter table widened enable row level security;
         alter table widened force row level security;
         create policy p on widened
             using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
             with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
         create policy everyone_reads on widened for select using (true);

         create table global_unique (tenant_id uuid not null, email text unique, id bigserial,
                                     primary key (tenant_id, id));
         alter table global_unique enable row level security;
         alter table global_unique force row level security;
         create policy p on global_unique
             using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
             with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

         create table parent (tenant_id uuid not null, id uuid primary key);
         alter table parent enable row level security;
         alter table parent force row level security;
         create index parent_tenant on parent (tenant_id);
         create policy p on parent
             using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
             with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
         create table child (tenant_id uuid not null, parent_id uuid references parent (id));
         alter table child enable row level security;
         alter table child force row level security;
         create policy p on child
             using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
             with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

         create view leaky as select * from parent;
         alter table child owner to cart;",
    )
    .execute(&mut su)
    .await
    .unwrap();
    su.close().await.unwrap();

    let owner = db.owner_pool().await.unwrap();
    let violations = lint_catalog(&owner, &SERVICE_ROLES).await.unwrap();
    let has = |object: &str, rule: &str| {
        violations
            .iter()
            .any(|v| v.object == object && v.rule == rule)
    };
    assert!(has("public.not_forced", "rls_forced"), "{violations:#?}");
    assert!(has("public.widened", "policy_widening"), "{violations:#?}");
    assert!(
        has("public.global_unique", "unique_without_tenant"),
        "{violations:#?}"
    );
    assert!(
        has("public.global_unique", "global_sequence"),
        "{violations:#?}"
    );
    assert!(
        has("public.parent", "unique_without_tenant"),
        "{violations:#?}"
    );
    assert!(
        has("public.child", "foreign_key_without_tenant"),
        "{violations:#?}"
    );
    assert!(has("public.child", "tenant_index"), "{violations:#?}");
    assert!(
        has("public.leaky", "view_security_invoker"),
        "{violations:#?}"
    );
    assert!(has("cart", "role_owns_tenant_table"), "{violations:#?}");
}

#[tokio::test]
async fn o21_catalog_lint_flags_privileged_service_roles() {
    let db = TestDb::new().await.unwrap();
    let mut su = db.superuser().await.unwrap();
    // A throw-away role: the real service roles are shared by the whole cluster.
    let role = format!("lint_probe_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "create role {role} login bypassrls superuser"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let owner = db.owner_pool().await.unwrap();
    let result = lint_catalog(&owner, &[role.as_str(), "no_such_role"]).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("drop role {role}")))
        .execute(&mut su)
        .await
        .unwrap();
    let violations = result.unwrap();
    let rules: Vec<_> = violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&"role_superuser"), "{violations:#?}");
    assert!(rules.contains(&"role_bypassrls"), "{violations:#?}");
    assert!(rules.contains(&"role_missing"), "{violations:#?}");
}

#[tokio::test]
async fn o21_catalog_lint_flags_service_roles_that_can_create_objects() {
    let db = TestDb::new().await.unwrap();
    let mut su = db.superuser().await.unwrap();
    let role = format!("lint_probe_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "create role {role} login; \
         grant temporary on database {db} to {role}; \
         grant create on schema public to {role}",
        db = db.name()
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let owner = db.owner_pool().await.unwrap();
    let result = lint_catalog(&owner, &[role.as_str()]).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "revoke all on database {db} from {role}; revoke create on schema public from {role}; drop role {role}",
        db = db.name()
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let violations = result.unwrap();
    let rules: Vec<_> = violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&"role_temporary"), "{violations:#?}");
    assert!(rules.contains(&"role_create"), "{violations:#?}");
}

#[tokio::test]
async fn o14_a_new_column_that_looks_personal_must_be_registered_with_its_class() {
    let db = TestDb::new().await.unwrap();
    let mut su = db.superuser().await.unwrap();
    sqlx::raw_sql(
        "alter table products add column buyer_email text;
         alter table products add column seen_from inet;
         alter table products add column gift_note text;
         comment on column products.gift_note is 'personal: passwords';",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let owner = db.owner_pool().await.unwrap();
    let violations = lint_catalog(&owner, &SERVICE_ROLES).await.unwrap();
    let rule = |column: &str| {
        violations
            .iter()
            .find(|v| v.object == format!("public.products.{column}"))
            .map(|v| v.rule)
    };
    assert_eq!(
        rule("buyer_email"),
        Some("personal_unregistered"),
        "{violations:#?}"
    );
    assert_eq!(
        rule("seen_from"),
        Some("personal_unregistered"),
        "an inet column looks personal"
    );
    assert_eq!(rule("gift_note"), Some("personal_class_unknown"));

    // Registered, the same columns pass, and the register lists them.
    sqlx::raw_sql(
        "comment on column products.buyer_email is 'personal: contact';
         comment on column products.seen_from is 'personal: network; truncated';
         comment on column products.gift_note is 'not personal: a note the merchant writes';",
    )
    .execute(&mut su)
    .await
    .unwrap();
    su.close().await.unwrap();
    let violations = lint_catalog(&owner, &SERVICE_ROLES).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
    let register = platform_tenancy::personal_columns(&owner).await.unwrap();
    let classes = |table: &str, column: &str| {
        register
            .iter()
            .find(|c| c.table == table && c.column == column)
            .map(|c| c.classes.clone())
    };
    assert_eq!(
        classes("public.products", "buyer_email"),
        Some(vec!["contact".to_owned()])
    );
    assert_eq!(
        classes("public.orders", "contact_sealed"),
        Some(vec!["contact".to_owned()])
    );
    assert_eq!(
        classes("public.orders", "buyer_ip"),
        Some(vec!["network".to_owned()])
    );
    assert_eq!(
        classes("public.products", "gift_note"),
        None,
        "not personal is not listed"
    );
}
