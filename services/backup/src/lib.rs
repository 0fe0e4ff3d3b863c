//! backup: encrypted per-tenant backups in S3, kept under a grandfather-father-son
//! retention policy, verified and restored one tenant at a time (O11, O14, O16).
//!
//! A worker (on a schedule from configuration) and a CLI share [`Backups`]. A backup reads
//! every table that has a `tenant_id` (found in the catalog, so new tables are covered
//! without code changes) through the `backup` role under row-level security, in one
//! snapshot; it is compressed, encrypted under a fresh data key wrapped by the tenant's
//! key from `libs/vault`, and uploaded to S3; its manifest goes last. Personal-data
//! columns stay in their field-level ciphertext, so shredding a data subject's key also
//! covers every backup; destroying a tenant's keys makes all its backups unreadable.
//!
//! What this crate must never do: upload a byte of plaintext, export the key tables (or
//! the erasure ledger), log row contents, or leave a partial upload that looks complete.

mod app;
pub mod cli;
pub mod config;
pub mod crypt;
pub mod db;
mod error;
pub mod manifest;
pub mod retention;
mod worker;

use platform_tenancy::{TenantDb, TenantId};
use sqlx::postgres::PgConnectOptions;

pub use app::{Backups, ClosedPrune, Listed, PruneReport, RestoreReport, id_time, quoted};
pub use config::{ClosingConfig, Config};
pub use error::BackupError;
use platform_audit::{Checkpointer, S3Checkpoints};
pub use platform_objects::{ObjectStore, S3Config};

/// The backup worker, built from its configuration: the one way the command line, the
/// worker and the dev stack start it.
pub struct Application {
    db: TenantDb,
    backups: Backups,
    interval_secs: u64,
    audit: Option<(Checkpointer<S3Checkpoints>, u64)>,
    closing: Option<Closing>,
}

/// What closing shops needs: the certificate key, the mailer (none: certificates wait in
/// their records) and how often to look.
pub struct Closing {
    /// The platform's certificate signing key.
    pub key: platform_audit::AuditKey,
    /// Where certificates leave.
    pub mailer: Option<platform_mail::Mailer>,
    /// Seconds between looks.
    pub check_secs: u64,
}

/// The audit log's checkpointer as the worker runs it.
pub type AuditSealer = Checkpointer<S3Checkpoints>;

impl Application {
    /// Connects (lazily) to Postgres, opens the object store and makes sure its bucket
    /// exists.
    pub async fn build(config: Config) -> Result<Self, BackupError> {
        let db = connect(config.database);
        let store = ObjectStore::new(&config.s3);
        store.ensure_bucket().await?;
        let audit = config.audit.map(|a| {
            (
                Checkpointer::new(
                    a.key,
                    S3Checkpoints::new(store.clone()),
                    a.every_events,
                    a.every,
                ),
                a.check_secs,
            )
        });
        let closing = match config.closing {
            None => None,
            Some(c) => Some(Closing {
                key: c.certificate_key,
                mailer: match c.smtp_url {
                    None => None,
                    Some(url) => Some(
                        platform_mail::Mailer::new(&url, &c.from)
                            .map_err(|e| BackupError::Usage(format!("SMTP_URL: {e}")))?,
                    ),
                },
                check_secs: c.check_secs,
            }),
        };
        let mut backups = Backups::new(db.clone(), platform_vault::Vault::new(config.kek), store);
        if let Some(images) = &config.images {
            backups = backups.with_images(platform_images::ImageStore::new(images));
        }
        Ok(Application {
            db,
            backups,
            interval_secs: config.interval_secs,
            audit,
            closing,
        })
    }

    /// The database, as the `backup` role.
    pub fn db(&self) -> &TenantDb {
        &self.db
    }

    /// The use cases.
    pub fn backups(&self) -> &Backups {
        &self.backups
    }

    /// The audit checkpointer, when an audit key is configured.
    pub fn audit(&self) -> Option<&AuditSealer> {
        self.audit.as_ref().map(|(c, _)| c)
    }

    /// Closing shops, when a certificate key is configured.
    pub fn closing(&self) -> Option<&Closing> {
        self.closing.as_ref()
    }

    /// Backs up and prunes every shop every interval, seals the shops' audit chains and
    /// closes the shops whose closure is due, until `shutdown` resolves.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        let sealing = self.audit.map(|(checkpointer, secs)| {
            tokio::spawn(worker::seal_forever(self.db.clone(), checkpointer, secs))
        });
        let closing = self
            .closing
            .map(|c| tokio::spawn(worker::close_forever(self.backups.clone(), c)));
        if closing.is_none() {
            tracing::warn!(
                "no certificate key configured: shops whose closure is due are not closed"
            );
        }
        worker::run(&self.backups, self.interval_secs, shutdown).await;
        for task in [sealing, closing].into_iter().flatten() {
            task.abort();
        }
    }
}

/// A small pool: the worker backs up one tenant at a time.
pub fn connect(options: PgConnectOptions) -> TenantDb {
    TenantDb::connect_lazy(options, 4)
}

/// A tenant named by id or by handle.
pub async fn resolve_tenant(db: &TenantDb, text: &str) -> Result<TenantId, BackupError> {
    if let Ok(id) = uuid::Uuid::parse_str(text) {
        return Ok(TenantId::from_uuid(id));
    }
    let mut tx = db.platform().await?;
    let id: Option<uuid::Uuid> = sqlx::query_scalar("select id from tenants where handle = $1")
        .bind(text)
        .fetch_optional(&mut tx)
        .await?;
    tx.commit().await?;
    id.map(TenantId::from_uuid)
        .ok_or_else(|| BackupError::UnknownTenant(text.to_owned()))
}
