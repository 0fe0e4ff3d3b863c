//! What the backup reads from the database catalog and the platform tables. Tenant tables
//! are discovered, never listed by hand: every table with a `tenant_id` column, in every
//! schema but those whose contents must outlive a restore (see [`EXCLUDED_SCHEMAS`]).

use std::collections::{BTreeMap, BTreeSet};

use platform_tenancy::TenantTx;
use sqlx::Row;

use crate::BackupError;
use crate::retention::Policy;

/// Schemas never exported nor replaced by a restore: `keys` holds the wrapped tenant and
/// data-subject keys (a restore must never bring a shredded key back), `ledger` holds the
/// erasure log (a restore re-applies it, so it must not roll it back), `audit` the shops'
/// audit chains, `processor` the grants to platform staff and the disclosure log (a
/// restore must never bring an ended grant back).
pub const EXCLUDED_SCHEMAS: &[&str] = &["keys", "ledger", "audit", "processor"];

/// A tenant table as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Schema-qualified, unquoted (`public.products`).
    pub name: String,
    /// `"schema"."table"`, quoted for SQL.
    pub quoted: String,
    /// Columns in attribute order.
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order (empty: the table has none). A restore
    /// matches backed-up rows to live ones by it.
    pub key: Vec<String>,
    /// Marked `backup:volatile` in its table comment (sessions, say): exported like every
    /// table, but a restore empties it instead of bringing old rows back.
    pub volatile: bool,
}

/// The marker, in a table's comment, of a table a restore empties instead of refilling.
pub const VOLATILE_MARKER: &str = "backup:volatile";

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// `not null` without a default: a restore must supply it.
    pub required: bool,
}

/// Quotes an identifier from the catalog for SQL (never user input).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The column list of a table, quoted, comma separated.
pub fn column_list<S: AsRef<str>>(columns: &[S]) -> String {
    columns
        .iter()
        .map(|c| quote_ident(c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every tenant table, parents before children (foreign keys), ties by name.
pub async fn tenant_tables(tx: &mut TenantTx) -> Result<Vec<Table>, BackupError> {
    let rows = sqlx::query(
        "select c.oid::int8 as oid, n.nspname::text as schema, c.relname::text as name,
                coalesce(obj_description(c.oid, 'pg_class'), '') like '%' || $2 || '%' as volatile
           from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
                              and not a.attisdropped
          where c.relkind in ('r', 'p')
            and n.nspname <> all($1)
            and n.nspname not in ('pg_catalog', 'information_schema')
            and n.nspname not like 'pg\\_%'
            and not c.relispartition
          order by n.nspname, c.relname",
    )
    .bind(EXCLUDED_SCHEMAS)
    .bind(VOLATILE_MARKER)
    .fetch_all(&mut *tx)
    .await?;
    let mut tables: BTreeMap<i64, Table> = BTreeMap::new();
    for row in rows {
        let oid: i64 = row.try_get("oid")?;
        let schema: String = row.try_get("schema")?;
        let name: String = row.try_get("name")?;
        let volatile: bool = row.try_get("volatile")?;
        let columns = sqlx::query(
            "select attname::text as name, (attnotnull and not atthasdef) as required
               from pg_attribute
              where attrelid = $1::int8::oid and attnum > 0 and not attisdropped
                and attgenerated = ''
              order by attnum",
        )
        .bind(oid)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Column {
                name: r.try_get("name")?,
                required: r.try_get("required")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let key = sqlx::query_scalar(
            "select a.attname::text
               from pg_index i
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
              where i.indrelid = $1::int8::oid and i.indisprimary
              order by array_position(i.indkey::int2[], a.attnum)",
        )
        .bind(oid)
        .fetch_all(&mut *tx)
        .await?;
        tables.insert(
            oid,
            Table {
                quoted: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
                name: format!("{schema}.{name}"),
                columns,
                key,
                volatile,
            },
        );
    }
    let edges: Vec<(i64, i64)> = sqlx::query_as(
        "select conrelid::int8, confrelid::int8 from pg_constraint
          where contype = 'f' and conrelid <> confrelid",
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(parents_first(tables, &edges))
}

/// Kahn's topological sort: a table comes after every table it references.
fn parents_first(mut tables: BTreeMap<i64, Table>, edges: &[(i64, i64)]) -> Vec<Table> {
    let mut needs: BTreeMap<i64, BTreeSet<i64>> =
        tables.keys().map(|k| (*k, BTreeSet::new())).collect();
    for (child, parent) in edges {
        if tables.contains_key(parent)
            && let Some(set) = needs.get_mut(child)
        {
            set.insert(*parent);
        }
    }
    let mut out = Vec::with_capacity(tables.len());
    while !needs.is_empty() {
        let mut ready: Vec<(String, i64)> = needs
            .iter()
            .filter(|(_, parents)| parents.is_empty())
            .filter_map(|(oid, _)| tables.get(oid).map(|t| (t.name.clone(), *oid)))
            .collect();
        if ready.is_empty() {
            // A cycle of foreign keys: keep the remaining tables in name order.
            ready = needs
                .keys()
                .filter_map(|oid| tables.get(oid).map(|t| (t.name.clone(), *oid)))
                .collect();
        }
        ready.sort();
        for (_, oid) in ready {
            needs.remove(&oid);
            for parents in needs.values_mut() {
                parents.remove(&oid);
            }
            if let Some(t) = tables.remove(&oid) {
                out.push(t);
            }
        }
    }
    out
}

/// The latest applied migration.
pub async fn schema_version(tx: &mut TenantTx) -> Result<i64, BackupError> {
    let v: Option<i64> =
        sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
            .fetch_one(&mut *tx)
            .await?;
    Ok(v.unwrap_or(0))
}

/// Takes the tenant's backup/restore lock for this transaction; false when another
/// process holds it.
pub async fn try_lock(tx: &mut TenantTx) -> Result<bool, BackupError> {
    let key = format!("backup:{}", tx.tenant());
    Ok(
        sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// The shop's handle, name and status.
pub async fn tenant_entry(
    tx: &mut TenantTx,
) -> Result<Option<(String, String, String)>, BackupError> {
    Ok(
        sqlx::query_as("select handle, display_name, status from tenants where id = $1")
            .bind(tx.tenant().as_uuid())
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The highest erasure sequence number of the tenant (0: none).
pub async fn erasure_position(tx: &mut TenantTx) -> Result<i64, BackupError> {
    Ok(
        sqlx::query_scalar("select coalesce(max(seq), 0)::int8 from ledger.erasure_log")
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Data subjects erased after `position`.
pub async fn erasures_after(
    tx: &mut TenantTx,
    position: i64,
) -> Result<Vec<uuid::Uuid>, BackupError> {
    Ok(
        sqlx::query_scalar("select subject_id from ledger.erasure_log where seq > $1 order by seq")
            .bind(position)
            .fetch_all(&mut *tx)
            .await?,
    )
}

/// The shop's retention policy (defaults when it has no settings row yet).
pub async fn policy(tx: &mut TenantTx) -> Result<Policy, BackupError> {
    let row: Option<(i32, i32, i32)> = sqlx::query_as(
        "select backup_keep_daily, backup_keep_weekly, backup_keep_monthly from store_settings",
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        Some((d, w, m)) => Policy {
            daily: u32::try_from(d).unwrap_or(7),
            weekly: u32::try_from(w).unwrap_or(4),
            monthly: u32::try_from(m).unwrap_or(12),
        }
        .bounded(),
        None => Policy::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Table {
        Table {
            name: name.to_owned(),
            quoted: name.to_owned(),
            columns: vec![],
            key: vec![],
            volatile: false,
        }
    }

    #[test]
    fn parents_come_before_children() {
        let tables = BTreeMap::from([
            (1, t("a.variants")),
            (2, t("a.products")),
            (3, t("a.lines")),
        ]);
        let order: Vec<String> = parents_first(tables, &[(1, 2), (3, 1), (3, 99)])
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(order, ["a.products", "a.variants", "a.lines"]);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }
}
