//! backup: config → telemetry → one command.
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

use std::process::ExitCode;
use std::sync::Arc;

use backup::{BackupError, Backups, Config, ObjectStore, connect, options, resolve_tenant};
use chrono::Utc;
use platform_tenancy::TenantId;
use platform_vault::Vault;
use secrecy::SecretString;

#[tokio::main]
async fn main() -> ExitCode {
    let _telemetry = match platform_telemetry::init("backup") {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("backup: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(code = e.code(), error = %e, "backup failed");
            eprintln!("backup: {} ({})", e, e.code());
            ExitCode::FAILURE
        }
    }
}

struct Args {
    command: String,
    tenant: Option<String>,
    backup: Option<String>,
    into: Option<String>,
    dry_run: bool,
}

fn parse(args: &[String]) -> Result<Args, BackupError> {
    let usage = || {
        BackupError::Usage("usage: backup run|list|verify|restore|prune|worker [--tenant T] [--backup ID] [--into-database-url URL] [--dry-run]".to_owned())
    };
    let mut it = args.iter();
    let command = it.next().ok_or_else(usage)?.clone();
    let mut parsed = Args {
        command,
        tenant: None,
        backup: None,
        into: None,
        dry_run: false,
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--tenant" => parsed.tenant = Some(it.next().ok_or_else(usage)?.clone()),
            "--backup" => parsed.backup = Some(it.next().ok_or_else(usage)?.clone()),
            "--into-database-url" => parsed.into = Some(it.next().ok_or_else(usage)?.clone()),
            "--dry-run" => parsed.dry_run = true,
            _ => return Err(usage()),
        }
    }
    Ok(parsed)
}

async fn run(args: &[String]) -> Result<(), BackupError> {
    let args = parse(args)?;
    let config = Config::from_env().map_err(|e| BackupError::Usage(e.to_string()))?;
    let db = connect(options(&config.database_url)?);
    let vault = Vault::new(Arc::new(config.load_kek()?));
    let store = ObjectStore::new(&config.s3);
    store.ensure_bucket().await?;
    let backups = Backups::new(db.clone(), vault, store);
    let tenants = |required: bool| {
        let db = db.clone();
        let backups = backups.clone();
        let named = args.tenant.clone();
        async move {
            match named {
                Some(t) => Ok(vec![resolve_tenant(&db, &t).await?]),
                None if required => Err(BackupError::Usage("--tenant is required".to_owned())),
                None => backups.active_tenants().await,
            }
        }
    };
    let backup_id = || {
        args.backup
            .clone()
            .ok_or_else(|| BackupError::Usage("--backup is required".to_owned()))
    };
    match args.command.as_str() {
        "run" => {
            for tenant in tenants(false).await? {
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
        "list" => {
            for tenant in tenants(false).await? {
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
        "verify" => {
            let tenant = one(tenants(true).await?)?;
            let m = backups.verify(tenant, &backup_id()?).await?;
            println!("verified {} tables, {} rows", m.tables.len(), m.rows());
        }
        "restore" => {
            let tenant = one(tenants(true).await?)?;
            let scratch = match &args.into {
                Some(url) => Some(connect(options(&SecretString::from(url.clone()))?)),
                None => None,
            };
            let r = backups
                .restore(tenant, &backup_id()?, scratch.as_ref())
                .await?;
            println!(
                "restored {} rows in {:.2} s; {} erasures re-applied ({} rows)",
                r.rows, r.seconds, r.erasures_replayed, r.rows_erased
            );
        }
        "prune" => {
            for tenant in tenants(false).await? {
                let r = backups.prune(tenant, Utc::now(), args.dry_run).await?;
                for id in &r.deleted {
                    println!(
                        "{tenant} {id} {}",
                        if args.dry_run {
                            "would delete"
                        } else {
                            "deleted"
                        }
                    );
                }
                println!("{tenant} kept {}", r.kept.len());
            }
        }
        "worker" => worker(&backups, config.interval_secs).await,
        _ => {
            return Err(parse(&[])
                .err()
                .unwrap_or(BackupError::Usage(String::new())));
        }
    }
    Ok(())
}

fn one(mut tenants: Vec<TenantId>) -> Result<TenantId, BackupError> {
    tenants
        .pop()
        .ok_or_else(|| BackupError::Usage("--tenant is required".to_owned()))
}

/// Every interval: back up every active tenant, then prune it. A failing tenant is
/// logged and does not stop the others.
async fn worker(backups: &Backups, interval_secs: u64) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(interval_secs.max(60)));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = platform_web::shutdown_signal() => return,
        }
        let tenants = match backups.active_tenants().await {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(code = e.code(), error = %e, "listing tenants failed");
                continue;
            }
        };
        for tenant in tenants {
            if let Err(e) = backups.run(tenant).await {
                tracing::error!(tenant_id = %tenant, code = e.code(), error = %e, "scheduled backup failed");
                continue;
            }
            if let Err(e) = backups.prune(tenant, Utc::now(), false).await {
                tracing::error!(tenant_id = %tenant, code = e.code(), error = %e, "scheduled prune failed");
            }
        }
    }
}
