//! Platform staff, their roles and sessions (`processor` schema).

use chrono::{DateTime, Utc};
use platform_domain::PlatformRole;
use platform_tenancy::PlatformTx;
use sqlx::Row;
use uuid::Uuid;

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: Uuid,
    pub pseudonym: Uuid,
    pub login: String,
    pub name: String,
    pub entity: String,
    pub password_hash: String,
    pub cert_fingerprint: Vec<u8>,
    pub totp_sealed: Vec<u8>,
    pub totp_key: Vec<u8>,
    pub totp_kek_id: String,
    pub totp_kek_version: i32,
    pub totp_last_step: Option<i64>,
    pub failed_streak: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

const ACCOUNT: &str = "select id, pseudonym, login, name, entity, password_hash, cert_fingerprint, \
     totp_sealed, totp_key, totp_kek_id, totp_kek_version, totp_last_step, failed_streak, \
     locked_until, last_login_at, created_at, disabled_at from processor.staff";

fn account(row: &sqlx::postgres::PgRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        pseudonym: row.try_get("pseudonym")?,
        login: row.try_get("login")?,
        name: row.try_get("name")?,
        entity: row.try_get("entity")?,
        password_hash: row.try_get("password_hash")?,
        cert_fingerprint: row.try_get("cert_fingerprint")?,
        totp_sealed: row.try_get("totp_sealed")?,
        totp_key: row.try_get("totp_key")?,
        totp_kek_id: row.try_get("totp_kek_id")?,
        totp_kek_version: row.try_get("totp_kek_version")?,
        totp_last_step: row.try_get("totp_last_step")?,
        failed_streak: row.try_get("failed_streak")?,
        locked_until: row.try_get("locked_until")?,
        last_login_at: row.try_get("last_login_at")?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

/// The account with this login.
pub async fn by_login(tx: &mut PlatformTx, login: &str) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT} where login = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(login)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(account).transpose()
}

/// The account with this id.
pub async fn by_id(tx: &mut PlatformTx, id: Uuid) -> Result<Option<Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT} where id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(account).transpose()
}

/// Every account, by login.
pub async fn all(tx: &mut PlatformTx) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT} order by login");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(account).collect()
}

/// A role held, with its eligibility dates.
#[derive(Debug, Clone)]
pub struct Held {
    pub role: PlatformRole,
    pub granted_at: DateTime<Utc>,
    pub confirmed_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The roles of a member.
pub async fn roles(tx: &mut PlatformTx, id: Uuid) -> Result<Vec<Held>, sqlx::Error> {
    let rows = sqlx::query(
        "select role, granted_at, confirmed_at, last_used_at from processor.staff_roles \
         where staff_id = $1 order by role",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut held = Vec::with_capacity(rows.len());
    for row in rows {
        let text: String = row.try_get("role")?;
        if let Some(role) = PlatformRole::parse(&text) {
            held.push(Held {
                role,
                granted_at: row.try_get("granted_at")?,
                confirmed_at: row.try_get("confirmed_at")?,
                last_used_at: row.try_get("last_used_at")?,
            });
        }
    }
    Ok(held)
}

/// What a new account stores.
pub struct NewAccount<'a> {
    pub id: Uuid,
    pub pseudonym: Uuid,
    pub login: &'a str,
    pub name: &'a str,
    pub entity: &'a str,
    pub password_hash: &'a str,
    pub cert_fingerprint: &'a [u8],
    pub totp_sealed: &'a [u8],
    pub totp_key: &'a [u8],
    pub totp_kek_id: &'a str,
    pub totp_kek_version: i32,
    pub created_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// Inserts an account.
pub async fn insert(tx: &mut PlatformTx, a: NewAccount<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.staff (id, pseudonym, login, name, entity, password_hash, \
         cert_fingerprint, totp_sealed, totp_key, totp_kek_id, totp_kek_version, created_by, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(a.id)
    .bind(a.pseudonym)
    .bind(a.login)
    .bind(a.name)
    .bind(a.entity)
    .bind(a.password_hash)
    .bind(a.cert_fingerprint)
    .bind(a.totp_sealed)
    .bind(a.totp_key)
    .bind(a.totp_kek_id)
    .bind(a.totp_kek_version)
    .bind(a.created_by)
    .bind(a.at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Grants (or re-confirms) a role.
pub async fn grant_role(
    tx: &mut PlatformTx,
    id: Uuid,
    role: PlatformRole,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.staff_roles (staff_id, role, granted_at, granted_by, confirmed_at, \
         confirmed_by) values ($1, $2, $3, $4, $3, $4) \
         on conflict (staff_id, role) do update set confirmed_at = $3, confirmed_by = $4",
    )
    .bind(id)
    .bind(role.as_str())
    .bind(at)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether any enabled security officer exists.
pub async fn any_security_officer(tx: &mut PlatformTx) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from processor.staff_roles r join processor.staff s \
         on s.id = r.staff_id where r.role = 'security' and s.disabled_at is null)",
    )
    .fetch_one(&mut *tx)
    .await
}

/// A failed login: the streak and the lockout it earned.
pub async fn record_failure(
    tx: &mut PlatformTx,
    id: Uuid,
    streak: i32,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update processor.staff set failed_streak = $2, locked_until = $3 where id = $1")
        .bind(id)
        .bind(streak)
        .bind(locked_until)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A good login: the streak resets, the code's step is spent.
pub async fn record_login(
    tx: &mut PlatformTx,
    id: Uuid,
    at: DateTime<Utc>,
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update processor.staff set failed_streak = 0, locked_until = null, last_login_at = $2, \
         totp_last_step = $3 where id = $1",
    )
    .bind(id)
    .bind(at)
    .bind(step)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks the roles as used now (the review removes roles unused for 30 days).
pub async fn touch_roles(
    tx: &mut PlatformTx,
    id: Uuid,
    roles: &[&str],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update processor.staff_roles set last_used_at = $3 where staff_id = $1 and role = any($2)",
    )
    .bind(id)
    .bind(roles)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Appends to the processor's own log of staff administration.
pub async fn event(
    tx: &mut PlatformTx,
    actor: Option<Uuid>,
    staff: Uuid,
    action: &str,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.staff_events (id, at, actor, staff_id, action, detail) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(at)
    .bind(actor)
    .bind(staff)
    .bind(action)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A console session.
#[derive(Debug, Clone)]
pub struct Session {
    pub staff_id: Uuid,
    pub cert_fingerprint: Vec<u8>,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Opens a session.
pub async fn insert_session(
    tx: &mut PlatformTx,
    digest: &[u8],
    staff: Uuid,
    fingerprint: &[u8],
    csrf: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into processor.sessions (token_hash, staff_id, cert_fingerprint, csrf_token, \
         created_at, last_seen_at) values ($1, $2, $3, $4, $5, $5)",
    )
    .bind(digest)
    .bind(staff)
    .bind(fingerprint)
    .bind(csrf)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A session that was not revoked.
pub async fn session(tx: &mut PlatformTx, digest: &[u8]) -> Result<Option<Session>, sqlx::Error> {
    let row = sqlx::query(
        "select staff_id, cert_fingerprint, csrf_token, created_at, last_seen_at \
         from processor.sessions where token_hash = $1 and revoked_at is null",
    )
    .bind(digest)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|r| {
        Ok(Session {
            staff_id: r.try_get("staff_id")?,
            cert_fingerprint: r.try_get("cert_fingerprint")?,
            csrf_token: r.try_get("csrf_token")?,
            created_at: r.try_get("created_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
        })
    })
    .transpose()
}

/// Records activity on a session.
pub async fn touch_session(
    tx: &mut PlatformTx,
    digest: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update processor.sessions set last_seen_at = $2 where token_hash = $1")
        .bind(digest)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Ends a session.
pub async fn revoke_session(
    tx: &mut PlatformTx,
    digest: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update processor.sessions set revoked_at = $2 where token_hash = $1 and revoked_at is null",
    )
    .bind(digest)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The shop of a handle, if it is active.
pub async fn shop_by_handle(
    tx: &mut PlatformTx,
    handle: &str,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let row =
        sqlx::query("select id, display_name from tenants where handle = $1 and status = 'active'")
            .bind(handle)
            .fetch_optional(&mut *tx)
            .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("display_name")?)))
        .transpose()
}

/// Every active shop's id and handle (the sweep visits them).
pub async fn shops(tx: &mut PlatformTx) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let rows =
        sqlx::query("select id, handle from tenants where status = 'active' order by handle")
            .fetch_all(&mut *tx)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("handle")?)))
        .collect()
}

/// A security officer re-confirms a member's eligibility for a role. True when the
/// member holds it.
pub async fn confirm_role(
    tx: &mut PlatformTx,
    id: Uuid,
    role: PlatformRole,
    by: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update processor.staff_roles set confirmed_at = $3, confirmed_by = $4 \
         where staff_id = $1 and role = $2",
    )
    .bind(id)
    .bind(role.as_str())
    .bind(at)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes every role not re-confirmed since `confirm_before` or unused (nor granted)
/// since `use_before`; returns (member, role, whether it lapsed for want of confirmation).
pub async fn expire_roles(
    tx: &mut PlatformTx,
    confirm_before: DateTime<Utc>,
    use_before: DateTime<Utc>,
) -> Result<Vec<(Uuid, String, bool)>, sqlx::Error> {
    let rows = sqlx::query(
        "delete from processor.staff_roles \
         where confirmed_at < $1 or coalesce(last_used_at, granted_at) < $2 \
         returning staff_id, role, confirmed_at < $1 as unconfirmed",
    )
    .bind(confirm_before)
    .bind(use_before)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("staff_id")?,
                r.try_get("role")?,
                r.try_get("unconfirmed")?,
            ))
        })
        .collect()
}

/// Per member: grants requested, grants used, last use.
pub async fn grant_usage(
    tx: &mut PlatformTx,
) -> Result<Vec<(Uuid, i64, i64, Option<DateTime<Utc>>)>, sqlx::Error> {
    let rows = sqlx::query(
        "select staff_id, count(*) as requested, count(first_used_at) as used, \
         max(last_used_at) as last_use from processor.access_grants group by staff_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("staff_id")?,
                r.try_get("requested")?,
                r.try_get("used")?,
                r.try_get("last_use")?,
            ))
        })
        .collect()
}
