//! The command line of the backup worker (clap):
//!
//! ```text
//! backup run [--tenant T]                 back up one tenant (id or handle), or all
//! backup list [--tenant T]                backups, oldest first ("partial": no manifest)
//! backup verify --tenant T --backup ID    download, decrypt and check, restore nothing
//! backup restore --tenant T --backup ID [--into-database-url URL]
//!                                         replace the tenant's rows (live or a scratch DB)
//! backup prune [--tenant T] [--dry-run]   apply retention
//! backup worker                           run + prune every APP_BACKUP_INTERVAL_SECS,
//!                                         seal audit chains (with APP_BACKUP_AUDIT_KEY_FILE)
//! backup audit-seal [--tenant T]          sign the audit chain heads now
//! backup audit-verify --tenant T          check a shop's audit chain and checkpoints
//! backup close-due                        close the shops whose closure is due now, mail
//!                                         their certificates, prune closed shops' backups
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
    /// Back up and prune every tenant every `APP_BACKUP_INTERVAL_SECS`, and seal the audit
    /// chains, until SIGTERM.
    Worker,
    /// Close every shop whose closure is due (delete its rows, destroy its keys, sign
    /// and mail the deletion certificate, printed here too), then delete the expired
    /// backups of closed shops. Needs `APP_BACKUP_CERTIFICATE_KEY_FILE`.
    CloseDue,
    /// Sign the audit chain heads now (one tenant, or all) and store the checkpoints.
    AuditSeal {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Check a shop's audit chain against itself and its signed checkpoints (in the
    /// database and in S3); prints the report as JSON, fails when a problem was found.
    AuditVerify {
        /// Tenant id or handle.
        #[arg(long)]
        tenant: String,
    },
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
                    "restored {} rows ({} changed) in {:.2} s; {} erasures re-applied ({} rows)",
                    r.rows, r.rows_changed, r.seconds, r.erasures_replayed, r.rows_erased
                );
            }
            Command::Prune { tenant, dry_run } => {
                for tenant in all_or(tenant).await? {
                    prune(&backups, tenant, dry_run).await?;
                }
            }
            Command::AuditSeal { tenant } => {
                let sealer = app.audit().ok_or(BackupError::Usage(
                    "APP_BACKUP_AUDIT_KEY_FILE is not set".to_owned(),
                ))?;
                for tenant in all_or(tenant).await? {
                    match sealer.seal(&db, tenant, Utc::now(), true).await? {
                        Some(cp) => println!("{tenant} sealed at event {}", cp.seq),
                        None => println!("{tenant} nothing new to seal"),
                    }
                }
            }
            Command::AuditVerify { tenant } => {
                let sealer = app.audit().ok_or(BackupError::Usage(
                    "APP_BACKUP_AUDIT_KEY_FILE is not set".to_owned(),
                ))?;
                let tenant = resolve_tenant(&db, &tenant).await?;
                let report = verify_audit(&db, sealer, tenant).await?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
                if !report.ok() {
                    return Err(BackupError::Usage(format!(
                        "the audit log of {tenant} shows {} problem(s)",
                        report.problems.len()
                    )));
                }
            }
            Command::CloseDue => {
                let closing = app.closing().ok_or(BackupError::Usage(
                    "APP_BACKUP_CERTIFICATE_KEY_FILE is not set".to_owned(),
                ))?;
                let now = Utc::now();
                for tenant in backups.due_closures(now).await? {
                    if let Some(certificate) = backups.close(tenant, now, &closing.key).await? {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&certificate).unwrap_or_default()
                        );
                    }
                }
                if let Some(mailer) = &closing.mailer {
                    println!(
                        "{} certificate(s) mailed",
                        backups.send_certificates(mailer).await?
                    );
                }
                for (tenant, pruned) in backups.prune_closed(now).await? {
                    println!(
                        "{tenant} closed: {} expired backup(s) deleted, {} waiting",
                        pruned.deleted.len(),
                        pruned.waiting
                    );
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

/// Verifies one shop's audit chain against the checkpoints in S3 and in the database.
pub async fn verify_audit(
    db: &platform_tenancy::TenantDb,
    sealer: &crate::AuditSealer,
    tenant: TenantId,
) -> Result<platform_audit::Report, BackupError> {
    use platform_audit::CheckpointStore;
    let outside = sealer.store().list(tenant).await?;
    let mut tx = db.begin(tenant).await?;
    let report = platform_audit::verify(&mut tx, &outside, &[sealer.verifying_key()]).await?;
    tx.commit().await?;
    Ok(report)
}
