//! The dev database: owner role, database, migrations, service-role passwords, the
//! catalog lint, and demo data.

use anyhow::{Context, bail};
use platform_tenancy::{MIGRATOR, lint_catalog};
use platform_testkit::{OWNER_ROLE, SERVICE_ROLES, admin_options, dev_password, ensure_owner_role};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// The development database.
pub const DEV_DB: &str = "platform";

/// Connection options for `role` on the dev database.
pub fn options_for(role: &str) -> anyhow::Result<PgConnectOptions> {
    Ok(admin_options()?
        .username(role)
        .password(&dev_password(role))
        .database(DEV_DB))
}

/// A URL for `role` on the dev database (for services and `stack.json`).
pub fn url_for(role: &str) -> anyhow::Result<String> {
    let admin = admin_options()?;
    Ok(format!(
        "postgres://{role}:{}@{}:{}/{DEV_DB}",
        dev_password(role),
        admin.get_host(),
        admin.get_port()
    ))
}

/// A pool as `role` on the dev database.
pub async fn pool_as(role: &str, max: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max)
        .connect_with(options_for(role)?)
        .await
        .with_context(|| format!("cannot connect to {DEV_DB} as {role}"))
}

async fn exec(conn: &mut PgConnection, sql: String) -> anyhow::Result<()> {
    // Identifiers and dev passwords below are constants of this file, never input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A short public name of the dev KEK: the first 16 hex digits of the SHA-256 of its file.
fn kek_fingerprint(path: &std::path::Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let digest = sha2::Sha256::digest(&text);
    Ok(hex::encode(&digest[..8]))
}

/// The comment on the dev database naming the dev KEK its sealed data belongs to.
fn sealed_by_comment(kek_fingerprint: &str) -> String {
    format!("dev data sealed with the dev KEK {kek_fingerprint}")
}

/// Creates the owner role and the dev database if missing, migrates as the owner, gives
/// every role its dev password, and refuses to go on if the catalog lint finds anything.
///
/// The database remembers, in its comment, the fingerprint of the dev KEK
/// (`target/dev/kek.txt`, made here when missing) that seals its data. A dev database
/// sealed with another KEK (a fresh checkout's new key against a database an older
/// checkout left on this machine) cannot be read by the services, so it is dropped and
/// made again: it holds dev data only.
pub async fn bootstrap() -> anyhow::Result<()> {
    let kek = crate::stack::kek_file()?;
    let fingerprint = kek_fingerprint(&kek)?;
    let kek_fingerprint = Some(fingerprint.as_str());
    let mut admin = PgConnection::connect_with(&admin_options()?)
        .await
        .context("cannot connect to Postgres as the admin")?;
    ensure_owner_role(&mut admin).await?;
    exec(
        &mut admin,
        format!(
            "alter role {OWNER_ROLE} login createrole nosuperuser nobypassrls password '{}'",
            dev_password(OWNER_ROLE)
        ),
    )
    .await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(DEV_DB)
            .fetch_one(&mut admin)
            .await?;
    if exists && let Some(fingerprint) = kek_fingerprint {
        let comment: Option<String> = sqlx::query_scalar(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = $1",
        )
        .bind(DEV_DB)
        .fetch_one(&mut admin)
        .await?;
        if comment.as_deref() != Some(sealed_by_comment(fingerprint).as_str()) {
            println!(
                "xtask: database {DEV_DB} was sealed with another dev KEK; its data cannot be read, so it is made again"
            );
            exec(&mut admin, format!("drop database {DEV_DB} with (force)")).await?;
        }
    }
    let exists = exists
        && sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(DEV_DB)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        println!("xtask: creating database {DEV_DB}");
        exec(
            &mut admin,
            format!("create database {DEV_DB} owner {OWNER_ROLE}"),
        )
        .await?;
    }
    if let Some(fingerprint) = kek_fingerprint {
        exec(
            &mut admin,
            format!(
                "comment on database {DEV_DB} is '{}'",
                sealed_by_comment(fingerprint)
            ),
        )
        .await?;
    }

    let owner = pool_as(OWNER_ROLE, 2).await?;
    MIGRATOR
        .run(&owner)
        .await
        .context("applying migrations as the owner role")?;
    for role in SERVICE_ROLES {
        exec(
            &mut admin,
            format!("alter role {role} password '{}'", dev_password(role)),
        )
        .await?;
    }
    admin.close().await?;

    let violations = lint_catalog(&owner, &SERVICE_ROLES).await?;
    owner.close().await;
    if !violations.is_empty() {
        for v in &violations {
            eprintln!("xtask: catalog lint: {v}");
        }
        bail!("the schema breaks tenant-isolation rules (O21); see above");
    }
    println!("xtask: database {DEV_DB} migrated; catalog lint clean");
    Ok(())
}
