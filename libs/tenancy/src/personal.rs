//! The register of personal-data columns (O13, O14, O15): every column that holds personal
//! data says so in its comment, `personal: <class>[, <class>…][; note]`, with the classes
//! of `data-classes.md` (plus `pseudonym`, a random id that stands for a person); a column
//! that only looks personal says `not personal: <why>`. Export, erasure and retention read
//! the register instead of a hand-kept list, and the lint below fails the tests when a new
//! column that looks personal (by its name or its type) is not registered.

use sqlx::{PgPool, Row};

use crate::Violation;

/// The classes a `personal:` comment may name.
pub const CLASSES: &[&str] = &[
    "contact",
    "shipping",
    "billing",
    "network",
    "marketing",
    "account",
    "child",
    "activity",
    "pseudonym",
];

/// Names (split at `_`) that suggest personal data.
const LOOKS_PERSONAL: &[&str] = &[
    "email",
    "phone",
    "name",
    "names",
    "address",
    "ip",
    "birth",
    "dob",
    "age",
    "guardian",
    "street",
    "city",
    "postal",
    "zip",
    "login",
    "password",
    "totp",
    "secret",
    "card",
    "subject",
    "subjects",
    "note",
    "reason",
    "client",
    "recipient",
    "buyer",
    "customer",
    "visitor",
];

/// A registered personal-data column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalColumn {
    /// `schema.table`.
    pub table: String,
    /// The column.
    pub column: String,
    /// Its classes.
    pub classes: Vec<String>,
}

/// Whether a column's name or type suggests personal data.
pub fn looks_personal(name: &str, type_name: &str) -> bool {
    type_name == "inet"
        || name.ends_with("_sealed")
        || name.split('_').any(|part| LOOKS_PERSONAL.contains(&part))
}

/// What a column comment registers: `Some(classes)` for `personal: …`, `Some([])` for
/// `not personal: …`, `None` when it registers nothing (or malformed).
pub fn registration(comment: &str) -> Option<Result<Vec<String>, String>> {
    if let Some(rest) = comment.strip_prefix("personal: ") {
        let classes: Vec<String> = rest
            .split(';')
            .next()
            .unwrap_or("")
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        return Some(
            match classes.iter().find(|c| !CLASSES.contains(&c.as_str())) {
                Some(bad) => Err(format!("unknown class {bad:?}")),
                None => Ok(classes),
            },
        );
    }
    comment
        .strip_prefix("not personal: ")
        .filter(|why| !why.trim().is_empty())
        .map(|_| Ok(Vec::new()))
}

const COLUMNS: &str = "select format('%I.%I', n.nspname, c.relname) as tbl, a.attname::text as col, \
        format_type(a.atttypid, a.atttypmod) as ty, coalesce(col_description(c.oid, a.attnum), '') as comment \
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace \
     where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped \
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%' \
       and c.relname <> '_sqlx_migrations' \
     order by 1, 2";

/// Every registered personal-data column.
pub async fn personal_columns(pool: &PgPool) -> Result<Vec<PersonalColumn>, sqlx::Error> {
    let mut out = Vec::new();
    for row in sqlx::query(COLUMNS).fetch_all(pool).await? {
        let comment: String = row.try_get("comment")?;
        if let Some(Ok(classes)) = registration(&comment)
            && !classes.is_empty()
        {
            out.push(PersonalColumn {
                table: row.try_get("tbl")?,
                column: row.try_get("col")?,
                classes,
            });
        }
    }
    Ok(out)
}

/// Columns that look personal and are not registered, and registrations that name an
/// unknown class.
pub(crate) async fn lint(pool: &PgPool, found: &mut Vec<Violation>) -> Result<(), sqlx::Error> {
    for row in sqlx::query(COLUMNS).fetch_all(pool).await? {
        let table: String = row.try_get("tbl")?;
        let column: String = row.try_get("col")?;
        let ty: String = row.try_get("ty")?;
        let comment: String = row.try_get("comment")?;
        let object = format!("{table}.{column}");
        match registration(&comment) {
            Some(Err(why)) => found.push(Violation {
                object,
                rule: "personal_class_unknown",
                detail: why,
            }),
            None if looks_personal(&column, &ty) => found.push(Violation {
                object,
                rule: "personal_unregistered",
                detail: "looks personal: comment it `personal: <class>` or `not personal: <why>`"
                    .to_owned(),
            }),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_that_look_personal() {
        assert!(looks_personal("buyer_email", "text"));
        assert!(looks_personal("contact_sealed", "bytea"));
        assert!(looks_personal("seen_from", "inet"));
        assert!(!looks_personal("shipping_minor", "bigint"));
        assert!(!looks_personal("description", "text"));
    }

    #[test]
    fn comments_register_classes_or_say_why_not() {
        assert_eq!(
            registration("personal: contact, shipping; sealed"),
            Some(Ok(vec!["contact".into(), "shipping".into()]))
        );
        assert_eq!(
            registration("not personal: the shop's name"),
            Some(Ok(vec![]))
        );
        assert!(matches!(registration("personal: passwords"), Some(Err(_))));
        assert_eq!(registration("the buyer"), None);
        assert_eq!(registration("not personal: "), None);
    }
}
