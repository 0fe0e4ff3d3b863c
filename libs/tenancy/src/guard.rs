//! The statement guard of the tenancy executors.
//!
//! Row-level security trusts `app.tenant_id`, and any SQL session may change a custom
//! setting. So the executors handed to request code refuse, before anything reaches the
//! server, every statement that could change the scope (`set_config`, `SET`, `RESET`,
//! `DISCARD`, any mention of `app.tenant_id`), escape the transaction the tenancy layer
//! opened (`COMMIT`, `ROLLBACK`, `BEGIN`, savepoints, `PREPARE TRANSACTION`, `CALL`), or
//! run code the guard cannot read (`DO` blocks, `U&` escaped identifiers that could spell
//! `set_config` without its letters). It errs on the side of refusing: request SQL is
//! static text, so a false refusal shows up in the first test that runs the query.

use crate::TenancyError;

/// Leading keywords that request code may never start a statement with.
const FORBIDDEN_LEADING: [&str; 16] = [
    "set",
    "reset",
    "discard",
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "abort",
    "savepoint",
    "release",
    "prepare",
    "do",
    "call",
    "load",
    "listen",
];

/// Checks one SQL text (possibly several statements) against the guard's rules.
pub fn check_statement(sql: &str) -> Result<(), TenancyError> {
    let text = strip_comments(sql).to_ascii_lowercase();
    let refuse = |reason| Err(TenancyError::ForbiddenStatement { reason });
    if text.contains("set_config") {
        return refuse("set_config is reserved to the tenancy layer");
    }
    if text.contains("app.tenant_id") || text.contains("app.platform_staff") {
        return refuse("the tenant and operator settings are reserved to the tenancy layer");
    }
    if text.contains("u&\"") || text.contains("u&'") {
        return refuse("unicode-escaped identifiers and strings are not allowed");
    }
    for statement in text.split(';') {
        let first = statement
            .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if FORBIDDEN_LEADING.contains(&first) {
            return refuse("session and transaction control belong to the tenancy layer");
        }
    }
    Ok(())
}

/// Removes `-- line` and `/* block */` comments (Postgres nests block comments), so a
/// comment cannot hide a leading keyword. Text inside string literals is kept, so a
/// literal that spells a forbidden name is refused too.
fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        if depth > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                depth -= 1;
                if depth == 0 {
                    out.push(' ');
                }
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                depth += 1;
            }
            continue;
        }
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                depth = 1;
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::check_statement;

    #[test]
    fn ordinary_queries_pass() {
        for sql in [
            "select id, handle from tenants where id = $1",
            "insert into keys.tenant_keys (tenant_id, key_id) values ($1, $2)",
            "update keys.subject_keys set wrapped = null where key_id = $1",
            "delete from keys.subject_keys where key_id = $1",
            "with x as (select 1) select * from x",
            "-- a comment\nselect 1",
            "select 'offset' as settled",
        ] {
            assert!(check_statement(sql).is_ok(), "{sql}");
        }
    }

    #[test]
    fn scope_changes_and_escapes_are_refused() {
        for sql in [
            "select set_config('app.tenant_id', $1, true)",
            "SELECT pg_catalog.SET_CONFIG('app.tenant_id', $1, false)",
            "select \"set_config\"('x', 'y', true)",
            "SET app.tenant_id = 'x'",
            "set local app.tenant_id to 'x'",
            "  /* hidden */ SET search_path = evil",
            "/* nested /* twice */ */ reset all",
            "-- c\nRESET app.tenant_id",
            "discard all",
            "select 1; set role postgres",
            "commit",
            "ROLLBACK",
            "begin",
            "start transaction",
            "savepoint a",
            "release savepoint a",
            "prepare transaction 'x'",
            "do $$ begin perform 1; end $$",
            "call some_procedure()",
            "select current_setting('app.tenant_id')",
            "select U&\"set\\005fconfig\"('a', 'b', true)",
            "(select 1); end",
        ] {
            assert!(check_statement(sql).is_err(), "{sql}");
        }
    }
}
