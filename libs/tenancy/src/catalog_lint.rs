//! The catalog lint: the schema rules of O21, checked against the live Postgres catalog.
//!
//! Any table with a `tenant_id` column, in any non-system schema, is a tenant table and
//! must have: `tenant_id uuid not null`; ENABLE and FORCE row-level security; a permissive
//! policy for all commands whose `USING` and `WITH CHECK` both compare `tenant_id` with
//! the fail-closed sub-select of `app.tenant_id`, and no other permissive policy that
//! could widen it; an index leading with `tenant_id`; `tenant_id` in every unique index
//! and every foreign key (both as referencing and as referenced table); no sequence or
//! identity column. Views must be `security_invoker`; materialized views are refused
//! (they are snapshots taken without RLS). Service roles must not be superuser,
//! `BYPASSRLS`, (members of) the owner of a tenant table, or able to create objects: no
//! `CREATE` on the database or any schema, and no `TEMPORARY` (which allows functions in
//! `pg_temp`, whose bodies the statement guard cannot read) but for the backup role.
//!
//! One narrow exception to "no other permissive policy": in the `processor` schema (grants
//! to platform staff, the disclosure log), a select-only policy for the `access_control`
//! role alone whose predicate names the operator of the transaction
//! (`processor.current_staff()` or `processor.is_security()`): the processor reads its own
//! records of access across shops, never a shop's visitor data, and never writes that way.
//!
//! It also checks the register of personal-data columns (O14, see `personal.rs`): a
//! column that looks personal must say in its comment which class it holds, or why not.
//!
//! Tables added later are checked without anyone touching this file.

use sqlx::{PgPool, Row};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The table, view or role concerned.
    pub object: String,
    /// A stable name of the rule.
    pub rule: &'static str,
    /// A human explanation.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.object, self.rule, self.detail)
    }
}

/// The only service role allowed temporary objects: a restore stages rows in temporary
/// tables, and the backup worker runs no request code.
pub const TEMP_ALLOWED: &str = "backup";

const USER_SCHEMAS: &str = "n.nspname not in ('pg_catalog', 'information_schema') \
                            and n.nspname not like 'pg\\_toast%' \
                            and n.nspname not like 'pg\\_temp%'";

/// Checks every rule; an empty list means the catalog is clean.
pub async fn lint_catalog(
    pool: &PgPool,
    service_roles: &[&str],
) -> Result<Vec<Violation>, sqlx::Error> {
    let mut found = Vec::new();
    tenant_tables(pool, &mut found).await?;
    crate::personal::lint(pool, &mut found).await?;
    views(pool, &mut found).await?;
    roles(pool, service_roles, &mut found).await?;
    Ok(found)
}

fn push(found: &mut Vec<Violation>, object: &str, rule: &'static str, detail: impl Into<String>) {
    found.push(Violation {
        object: object.to_owned(),
        rule,
        detail: detail.into(),
    });
}

/// True when a policy expression (as printed by `pg_get_expr`) is the tenant predicate.
fn is_tenant_predicate(expr: Option<&str>) -> bool {
    let Some(expr) = expr else { return false };
    let e = expr.to_ascii_lowercase();
    e.contains("tenant_id = ( select")
        && e.contains("nullif(current_setting('app.tenant_id'::text, true), ''::text)")
        && e.contains("::uuid")
        && !e.contains(" or ")
}

/// The one allowed widening: select-only, for `access_control` alone, on a `processor`
/// table, keyed on the transaction's operator.
fn is_operator_scope(
    table: &str,
    cmd: &str,
    roles: &[String],
    qual: Option<&str>,
    withcheck: Option<&str>,
) -> bool {
    table.starts_with("processor.")
        && cmd == "r"
        && roles == ["access_control"]
        && withcheck.is_none()
        && qual.is_some_and(|q| {
            q.contains("processor.current_staff()") || q.contains("processor.is_security()")
        })
}

async fn tenant_tables(pool: &PgPool, found: &mut Vec<Violation>) -> Result<(), sqlx::Error> {
    let sql = format!(
        "select c.oid::int8 as oid, format('%I.%I', n.nspname, c.relname) as name, \
                c.relrowsecurity, c.relforcerowsecurity, a.attnum, a.attnotnull, \
                format_type(a.atttypid, a.atttypmod) as ty \
         from pg_class c \
         join pg_namespace n on n.oid = c.relnamespace \
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped \
         where c.relkind in ('r', 'p') and {USER_SCHEMAS} \
         order by 2"
    );
    let tables = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?;
    for t in tables {
        let oid: i64 = t.try_get("oid")?;
        let name: String = t.try_get("name")?;
        let attnum: i16 = t.try_get("attnum")?;
        if !t.try_get::<bool, _>("relrowsecurity")? {
            push(
                found,
                &name,
                "rls_enabled",
                "row-level security is not enabled",
            );
        }
        if !t.try_get::<bool, _>("relforcerowsecurity")? {
            push(
                found,
                &name,
                "rls_forced",
                "row-level security is not forced (the owner bypasses it)",
            );
        }
        if !t.try_get::<bool, _>("attnotnull")? || t.try_get::<String, _>("ty")? != "uuid" {
            push(
                found,
                &name,
                "tenant_id_type",
                "tenant_id must be `uuid not null`",
            );
        }
        policies(pool, oid, &name, found).await?;
        indexes(pool, oid, attnum, &name, found).await?;
        foreign_keys(pool, oid, attnum, &name, found).await?;
        sequences(pool, oid, &name, found).await?;
    }
    Ok(())
}

async fn policies(
    pool: &PgPool,
    oid: i64,
    name: &str,
    found: &mut Vec<Violation>,
) -> Result<(), sqlx::Error> {
    let rows = sqlx::query(
        "select polname::text as polname, polpermissive, polcmd::text as polcmd, \
                polroles::regrole[]::text[] as roles, \
                pg_get_expr(polqual, polrelid) as qual, \
                pg_get_expr(polwithcheck, polrelid) as withcheck \
         from pg_policy where polrelid = $1::int8::oid",
    )
    .bind(oid)
    .fetch_all(pool)
    .await?;
    let mut isolating = false;
    for p in rows {
        let polname: String = p.try_get("polname")?;
        let permissive: bool = p.try_get("polpermissive")?;
        let cmd: String = p.try_get("polcmd")?;
        let qual: Option<String> = p.try_get("qual")?;
        let withcheck: Option<String> = p.try_get("withcheck")?;
        let qual_ok = is_tenant_predicate(qual.as_deref());
        let check_ok = is_tenant_predicate(withcheck.as_deref());
        let roles: Vec<String> = p.try_get("roles")?;
        if permissive && cmd == "*" && qual_ok && check_ok {
            isolating = true;
        } else if is_operator_scope(name, &cmd, &roles, qual.as_deref(), withcheck.as_deref()) {
            // The processor's own records, per operator: see the module documentation.
        } else if permissive && (qual.is_some() && !qual_ok || withcheck.is_some() && !check_ok) {
            push(
                found,
                name,
                "policy_widening",
                format!(
                    "permissive policy {polname} is not the tenant predicate and would widen access"
                ),
            );
        }
    }
    if !isolating {
        push(
            found,
            name,
            "policy_missing",
            "no permissive policy for all commands with USING and WITH CHECK on the tenant predicate",
        );
    }
    Ok(())
}

async fn indexes(
    pool: &PgPool,
    oid: i64,
    attnum: i16,
    name: &str,
    found: &mut Vec<Violation>,
) -> Result<(), sqlx::Error> {
    let leading: bool = sqlx::query_scalar(
        "select exists (select 1 from pg_index where indrelid = $1::int8::oid and indkey[0] = $2)",
    )
    .bind(oid)
    .bind(attnum)
    .fetch_one(pool)
    .await?;
    if !leading {
        push(found, name, "tenant_index", "no index leads with tenant_id");
    }
    let unique: Vec<String> = sqlx::query_scalar(
        "select indexrelid::regclass::text from pg_index \
         where indrelid = $1::int8::oid and indisunique and not ($2 = any (indkey::int2[]))",
    )
    .bind(oid)
    .bind(attnum)
    .fetch_all(pool)
    .await?;
    for index in unique {
        push(
            found,
            name,
            "unique_without_tenant",
            format!("unique index {index} leaves tenant_id out (uniqueness checks bypass RLS)"),
        );
    }
    Ok(())
}

async fn foreign_keys(
    pool: &PgPool,
    oid: i64,
    attnum: i16,
    name: &str,
    found: &mut Vec<Violation>,
) -> Result<(), sqlx::Error> {
    let outgoing: Vec<String> = sqlx::query_scalar(
        "select conname::text from pg_constraint \
         where contype = 'f' and conrelid = $1::int8::oid and not ($2 = any (conkey))",
    )
    .bind(oid)
    .bind(attnum)
    .fetch_all(pool)
    .await?;
    for fk in outgoing {
        push(
            found,
            name,
            "foreign_key_without_tenant",
            format!("foreign key {fk} leaves tenant_id out (FK checks bypass RLS)"),
        );
    }
    let incoming: Vec<String> = sqlx::query_scalar(
        "select format('%s on %s', conname, conrelid::regclass) from pg_constraint \
         where contype = 'f' and confrelid = $1::int8::oid and not ($2 = any (confkey))",
    )
    .bind(oid)
    .bind(attnum)
    .fetch_all(pool)
    .await?;
    for fk in incoming {
        push(
            found,
            name,
            "foreign_key_without_tenant",
            format!("foreign key {fk} references this table without tenant_id"),
        );
    }
    Ok(())
}

async fn sequences(
    pool: &PgPool,
    oid: i64,
    name: &str,
    found: &mut Vec<Violation>,
) -> Result<(), sqlx::Error> {
    let columns: Vec<String> = sqlx::query_scalar(
        "select a.attname::text from pg_attribute a \
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum \
         where a.attrelid = $1::int8::oid and a.attnum > 0 and not a.attisdropped \
           and (a.attidentity <> '' or pg_get_expr(d.adbin, d.adrelid) like '%nextval(%')",
    )
    .bind(oid)
    .fetch_all(pool)
    .await?;
    for column in columns {
        push(
            found,
            name,
            "global_sequence",
            format!("column {column} draws from a sequence shared by all tenants"),
        );
    }
    Ok(())
}

async fn views(pool: &PgPool, found: &mut Vec<Violation>) -> Result<(), sqlx::Error> {
    let sql = format!(
        "select format('%I.%I', n.nspname, c.relname) as name, c.relkind::text as kind, \
                coalesce(c.reloptions, '{{}}') as options \
         from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where c.relkind in ('v', 'm') and {USER_SCHEMAS}"
    );
    for v in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?
    {
        let name: String = v.try_get("name")?;
        let kind: String = v.try_get("kind")?;
        let options: Vec<String> = v.try_get("options")?;
        if kind == "m" {
            push(
                found,
                &name,
                "materialized_view",
                "materialized views are snapshots taken without RLS",
            );
        } else if !options.iter().any(|o| {
            matches!(
                o.as_str(),
                "security_invoker=true" | "security_invoker=on" | "security_invoker=1"
            )
        }) {
            push(
                found,
                &name,
                "view_security_invoker",
                "view is not security_invoker (it would read with its owner's rights)",
            );
        }
    }
    Ok(())
}

async fn roles(
    pool: &PgPool,
    service_roles: &[&str],
    found: &mut Vec<Violation>,
) -> Result<(), sqlx::Error> {
    let names: Vec<String> = service_roles.iter().map(|r| (*r).to_owned()).collect();
    let sql = format!(
        "select wanted.name as wanted, r.rolname::text as role, r.rolsuper, r.rolbypassrls, \
                has_database_privilege(r.oid, current_database(), 'TEMPORARY') as temp, \
                has_database_privilege(r.oid, current_database(), 'CREATE') as create_db, \
                coalesce((select array_agg(n.nspname::text order by 1) from pg_namespace n \
                          where {USER_SCHEMAS} and has_schema_privilege(r.oid, n.oid, 'CREATE')), \
                         '{{}}') as create_schemas, \
                coalesce((select array_agg(format('%I.%I', n.nspname, c.relname)::text order by 1) \
                          from pg_class c join pg_namespace n on n.oid = c.relnamespace \
                          where c.relkind in ('r', 'p') and {USER_SCHEMAS} \
                            and pg_has_role(r.oid, c.relowner, 'MEMBER') \
                            and exists (select 1 from pg_attribute a where a.attrelid = c.oid \
                                        and a.attname = 'tenant_id' and not a.attisdropped)), \
                         '{{}}') as owned \
         from unnest($1::text[]) with ordinality as wanted(name, ord) \
         left join pg_roles r on r.rolname = wanted.name \
         order by wanted.ord"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&names)
        .fetch_all(pool)
        .await?;
    for row in rows {
        let wanted: String = row.try_get("wanted")?;
        let Some(role) = row.try_get::<Option<String>, _>("role")? else {
            push(
                found,
                &wanted,
                "role_missing",
                "service role does not exist",
            );
            continue;
        };
        if row.try_get::<Option<bool>, _>("rolsuper")? == Some(true) {
            push(
                found,
                &role,
                "role_superuser",
                "service role is a superuser (bypasses RLS)",
            );
        }
        if row.try_get::<Option<bool>, _>("rolbypassrls")? == Some(true) {
            push(found, &role, "role_bypassrls", "service role has BYPASSRLS");
        }
        if row.try_get::<Option<bool>, _>("temp")? == Some(true) && role != TEMP_ALLOWED {
            push(
                found,
                &role,
                "role_temporary",
                "service role may create temporary objects (functions in pg_temp escape the statement guard)",
            );
        }
        if row.try_get::<Option<bool>, _>("create_db")? == Some(true) {
            push(
                found,
                &role,
                "role_create",
                "service role may create schemas in the database",
            );
        }
        for schema in row.try_get::<Vec<String>, _>("create_schemas")? {
            push(
                found,
                &role,
                "role_create",
                format!("service role may create objects in schema {schema}"),
            );
        }
        for table in row.try_get::<Vec<String>, _>("owned")? {
            push(
                found,
                &role,
                "role_owns_tenant_table",
                format!("service role owns (or is a member of the owner of) {table}"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_tenant_predicate;

    #[test]
    fn recognises_the_printed_predicate() {
        let printed = "(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS \"nullif\"))";
        assert!(is_tenant_predicate(Some(printed)));
        assert!(!is_tenant_predicate(Some("true")));
        assert!(!is_tenant_predicate(None));
        let widened = format!("({printed} OR true)");
        assert!(!is_tenant_predicate(Some(&widened)));
    }
}
