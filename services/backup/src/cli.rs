//! The command line of the backup worker (clap):
//!
//! ```text
//! backup run [--tenant T]                 back up one tenant (id or handle), or all
//! backup list [--tenant T]                backups, oldest first ("partial": no manifest)
//! backup verify --tenant T --backup ID    download, decrypt and check, restore nothing
//! backup restore --tenant T --backup ID [--into-database-url URL]
//!                                         replace the tenant's rows (live or a scratch DB)
//! backup prune [--tenant T] [--dry-run]   apply retention
//! backup worker                           run + prune every APP_BACKUP_INTERVAL_SECS
//! ```

use chrono::Utc;
use clap::{Parser, Subcommand};
use platform_tenancy::TenantId;
use secrecy::{ExposeSecret, SecretString};

use crate::{Application, BackupError, Backups, Config, connect, resolve_tenant};

/// Encrypted per-tenant backups: run, list, verify, restore, prune, or work on a schedule.
#[derive(Parser)]
#[command(name = "backup", about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Back up one tenant (id or handle), or every active tenant.
    Run {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List backups, oldest first ("partial": no manifest, never completed).
    List {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Download, decrypt and check a backup; restore nothing.
    Verify {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: String,
        /// Backup id.
        #[arg(long)]
        backup: String,
    },
    /// Replace the tenant's rows with a backup's (live, or in a scratch database).
    Restore {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: String,
        /// Backup id.
        #[arg(long)]
        backup: String,
        /// Restore into this database (as its `backup` role) instead of the live one.
        #[arg(long)]
        into_database_url: Option<SecretString>,
    },
    /// Apply the retention policy.
    Prune {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: Option<String>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Back up and prune every tenant every `APP_BACKUP_INTERVAL_SECS`, until SIGTERM.
    Worker,
}

impl Cli {
    /// Runs the command against the configured database and object store.
    pub async fn run(self) -> Result<(), BackupError> {
        let app = Application::build(Config::from_env()?).await?;
        let (db, backups) = (app.db().clone(), app.backups().clone());
        let all_or = |named: Option<String>| {
            let (db, backups) = (db.clone(), backups.clone());
            async move {
                match named {
                    Some(t) => Ok(vec![resolve_tenant(&db, &t).await?]),
                    None => backups.active_tenants().await,
                }
            }
        };
        match self.command {
            Command::Run { tenant } => {
                for tenant in all_or(tenant).await? {
                    let m = backups.run(tenant).await?;
                    println!(
                        "{tenant} {} rows={} plaintext_bytes={} object_bytes={}",
                        m.backup_id,
                        m.rows(),
                        m.plaintext_bytes,
                        m.object_bytes
                    );
                }
            }
            Command::List { tenant } => {
                for tenant in all_or(tenant).await? {
                    for b in backups.list(tenant).await? {
                        println!(
                            "{} {} {} {} bytes{}",
                            b.tenant,
                            b.backup_id,
                            b.created_at.to_rfc3339(),
                            b.bytes,
                            if b.complete { "" } else { " partial" }
                        );
                    }
                }
            }
            Command::Verify { tenant, backup } => {
                let tenant = resolve_tenant(&db, &tenant).await?;
                let m = backups.verify(tenant, &backup).await?;
                println!("verified {} tables, {} rows", m.tables.len(), m.rows());
            }
            Command::Restore {
                tenant,
                backup,
                into_database_url,
            } => {
                let tenant = resolve_tenant(&db, &tenant).await?;
                let scratch = match into_database_url {
                    Some(url) => Some(connect(url.expose_secret().parse()?)),
                    None => None,
                };
                let r = backups.restore(tenant, &backup, scratch.as_ref()).await?;
                println!(
                    "restored {} rows in {:.2} s; {} erasures re-applied ({} rows)",
                    r.rows, r.seconds, r.erasures_replayed, r.rows_erased
                );
            }
            Command::Prune { tenant, dry_run } => {
                for tenant in all_or(tenant).await? {
                    prune(&backups, tenant, dry_run).await?;
                }
            }
            Command::Worker => app.run_until_stopped(platform_web::shutdown_signal()).await,
        }
        Ok(())
    }
}

async fn prune(backups: &Backups, tenant: TenantId, dry_run: bool) -> Result<(), BackupError> {
    let r = backups.prune(tenant, Utc::now(), dry_run).await?;
    for id in &r.deleted {
        let done = if dry_run { "would delete" } else { "deleted" };
        println!("{tenant} {id} {done}");
    }
    println!("{tenant} kept {}", r.kept.len());
    Ok(())
}
