//! Closing a shop (GDPR Art. 28(3)(g)). The console records an owner's request and the
//! date it takes effect; once that date has passed, [`Backups::close`] does in one
//! transaction, under the shop's backup lock: mark the shop deleted (its host names freed,
//! its name gone), delete every row of it in every schema (the tables a backup covers,
//! children first, then its audit log, erasure ledger and the platform's grants on it),
//! destroy every key of the shop and its people, and write a deletion certificate signed
//! with the platform's certificate key. After the commit its audit checkpoints leave the
//! object store, and the certificate is mailed to the owner, whose address was opened
//! from their account just before the keys went and is removed once the mail left.
//! Backups made before stay, unreadable, and are deleted as each one expires
//! ([`Backups::prune_closed`]).

use chrono::Duration;
use platform_audit::{AuditKey, BackupsLeft, DeletedRecords, DeletionCertificate, ExportDelivered};
use platform_mail::{Mailer, Outgoing};
use platform_vault::Sealed;

use super::*;

/// The vault context of a staff member's sealed address (as the console seals it).
const STAFF_EMAIL: &str = "staff_accounts.email";
/// Mail attempts before a certificate is left to the operator (it stays in the record).
const MAIL_ATTEMPTS: i32 = 20;
/// The name a closed shop's tombstone keeps.
const CLOSED_NAME: &str = "Closed shop";

/// A closure that is due or pending, as the worker reads it.
#[derive(Debug, sqlx::FromRow)]
struct Pending {
    id: Uuid,
    requested_by: Uuid,
    requested_at: DateTime<Utc>,
    close_at: DateTime<Utc>,
    export_sha256: Vec<u8>,
    export_made_at: DateTime<Utc>,
}

/// What happened to one closed shop's old backups.
#[derive(Debug, Clone, Default)]
pub struct ClosedPrune {
    /// Backup ids deleted because they expired.
    pub deleted: Vec<String>,
    /// Backups still waiting for their expiry.
    pub waiting: usize,
}

impl Backups {
    /// Shops whose closure takes effect at or before `now`.
    pub async fn due_closures(&self, now: DateTime<Utc>) -> Result<Vec<TenantId>, BackupError> {
        let mut tx = self.db.platform().await?;
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "select id from tenants where closes_at <= $1 and status <> 'deleted' order by closes_at",
        )
        .bind(now)
        .fetch_all(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    /// Closed shops, for mailing certificates and pruning backups.
    async fn closed_tenants(&self) -> Result<Vec<TenantId>, BackupError> {
        let mut tx = self.db.platform().await?;
        let ids: Vec<Uuid> =
            sqlx::query_scalar("select id from tenants where status = 'deleted' order by id")
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    /// Closes the shop if its closure is due at `now`: deletes everything of it, destroys
    /// its keys and returns the signed certificate (`None`: nothing due, or cancelled).
    #[tracing::instrument(name = "backup.close", skip_all, fields(tenant_id = %tenant))]
    pub async fn close(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        key: &AuditKey,
    ) -> Result<Option<DeletionCertificate>, BackupError> {
        let mut tx = self.db.begin(tenant).await?;
        if !db::try_lock(&mut tx).await? {
            return Err(BackupError::AlreadyRunning(tenant.to_string()));
        }
        let outcome = self.close_locked(&mut tx, tenant, now, key).await;
        let certificate = settle(tx, outcome, "close").await?;
        if certificate.is_some() {
            // The checkpoints are signed statements about a chain that no longer exists.
            for object in self
                .store
                .list(&format!("audit-checkpoints/{tenant}/"))
                .await?
            {
                self.store.delete(&object.key).await?;
            }
            self.delete_pictures(tenant).await;
            tracing::info!("shop closed: every row deleted, keys destroyed");
        }
        Ok(certificate)
    }

    async fn close_locked(
        &self,
        tx: &mut TenantTx,
        tenant: TenantId,
        now: DateTime<Utc>,
        key: &AuditKey,
    ) -> Result<Option<DeletionCertificate>, BackupError> {
        let pending: Option<Pending> = sqlx::query_as(
            "select id, requested_by, requested_at, close_at, export_sha256, export_made_at \
             from ledger.shop_closures where cancelled_at is null and closed_at is null for update",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(pending) = pending.filter(|p| p.close_at <= now) else {
            return Ok(None);
        };
        let Some((handle, name, _)) = db::tenant_entry(tx).await? else {
            return Err(BackupError::UnknownTenant(tenant.to_string()));
        };
        let horizon = db::policy(tx).await?.horizon_days();
        let owner_email = self.owner_email(tx, pending.requested_by).await?;

        sqlx::query(
            "update tenants set status = 'deleted', display_name = $2, host_names = '{}', \
             closes_at = null where id = $1",
        )
        .bind(tenant.as_uuid())
        .bind(CLOSED_NAME)
        .execute(&mut *tx)
        .await?;

        // First what backups do not cover (some of it points at the tables below).
        let mut deleted = Vec::new();
        for table in [
            "audit.checkpoints",
            "audit.events",
            "ledger.erasure_log",
            "processor.disclosures",
            "processor.grant_notices",
            "processor.access_grants",
        ] {
            let sql = format!("delete from {table}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            deleted.push(DeletedRecords {
                table: table.to_owned(),
                rows,
            });
        }
        // Then every table a backup covers, children first.
        for table in db::tenant_tables(tx).await?.iter().rev() {
            let sql = format!("delete from {}", table.quoted);
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            deleted.push(DeletedRecords {
                table: table.name.clone(),
                rows,
            });
        }
        deleted.sort_by(|a, b| a.table.cmp(&b.table));
        let keys_destroyed = self.vault.destroy_tenant_keys(tx).await?;

        let backups: Vec<Listed> = self
            .list(tenant)
            .await?
            .into_iter()
            .filter(|b| b.complete)
            .collect();
        let last_expires_on = backups
            .iter()
            .map(|b| b.created_at + Duration::days(i64::from(horizon) + 1))
            .max()
            .unwrap_or(now)
            .date_naive();
        let certificate = DeletionCertificate {
            format: platform_audit::DELETION_FORMAT.to_owned(),
            shop_id: tenant.to_string(),
            shop_handle: handle.clone(),
            shop_name: name,
            requested_at: pending.requested_at,
            export: ExportDelivered {
                made_at: pending.export_made_at,
                sha256: hex::encode(&pending.export_sha256),
            },
            deleted_at: now,
            deleted,
            keys_destroyed,
            statements: statements(&handle),
            backups: BackupsLeft {
                count: backups.len() as u64,
                text: format!(
                    "{} of the shop made before {} still exist in the platform's object storage, encrypted under the shop's keys, which were destroyed: nobody can read them, and no restore is possible. Each is deleted {horizon} days after it was made, the last by {last_expires_on}.",
                    match backups.len() {
                        1 => "1 encrypted backup".to_owned(),
                        n => format!("{n} encrypted backups"),
                    },
                    now.format("%Y-%m-%d %H:%M UTC"),
                ),
                last_expires_on,
            },
            signature: None,
        }
        .sign(key);

        sqlx::query(
            "update ledger.shop_closures set closed_at = $2, certificate = $3, owner_email = $4, \
             backup_horizon_days = $5, backups_gone_at = case when $6 then $2 end where id = $1",
        )
        .bind(pending.id)
        .bind(now)
        .bind(sqlx::types::Json(&certificate))
        .bind(owner_email)
        .bind(i32::try_from(horizon).unwrap_or(i32::MAX))
        .bind(backups.is_empty())
        .execute(&mut *tx)
        .await?;
        Ok(Some(certificate))
    }

    /// The requesting owner's address, or another owner's when that account is gone
    /// (`None`: no owner's address opens; the certificate then waits for the operator).
    async fn owner_email(
        &self,
        tx: &mut TenantTx,
        requested_by: Uuid,
    ) -> Result<Option<String>, BackupError> {
        let sealed: Vec<Vec<u8>> = sqlx::query_scalar(
            "select a.email_sealed from staff_accounts a \
             where a.id = $1 or exists (select 1 from staff_roles r \
                                        where r.staff_id = a.id and r.role = 'owner') \
             order by a.id = $1 desc, a.created_at",
        )
        .bind(requested_by)
        .fetch_all(&mut *tx)
        .await?;
        for bytes in sealed {
            let Ok(sealed) = Sealed::from_bytes(bytes) else {
                continue;
            };
            match self.vault.open(tx, STAFF_EMAIL, &sealed).await {
                Ok(plain) => {
                    if let Ok(text) = String::from_utf8(plain.to_vec()) {
                        return Ok(Some(text));
                    }
                }
                Err(platform_vault::VaultError::KeyDestroyed) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Mails every certificate not sent yet and forgets the address it went to. Returns
    /// how many left.
    pub async fn send_certificates(&self, mailer: &Mailer) -> Result<usize, BackupError> {
        let mut sent = 0;
        for tenant in self.closed_tenants().await? {
            let mut tx = self.db.begin(tenant).await?;
            let row: Option<(Uuid, String, sqlx::types::Json<DeletionCertificate>)> =
                sqlx::query_as(
                    "select id, owner_email, certificate from ledger.shop_closures \
                     where owner_email is not null and mail_attempts < $1 for update skip locked",
                )
                .bind(MAIL_ATTEMPTS)
                .fetch_optional(&mut tx)
                .await?;
            let Some((id, to, certificate)) = row else {
                tx.commit().await?;
                continue;
            };
            let outcome = mailer
                .send(Outgoing {
                    message_id: format!("<closure-{id}@platform>"),
                    from_name: "Shop platform",
                    to: &to,
                    subject: format!(
                        "{} is closed: your deletion certificate",
                        certificate.shop_handle
                    ),
                    body: letter(&certificate),
                    list_unsubscribe: None,
                })
                .await;
            match outcome {
                Ok(()) => {
                    sqlx::query(
                        "update ledger.shop_closures set owner_email = null, \
                         certificate_sent_at = now(), mail_attempts = mail_attempts + 1 where id = $1",
                    )
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the deletion certificate could not be mailed yet");
                    sqlx::query(
                        "update ledger.shop_closures set mail_attempts = mail_attempts + 1 \
                         where id = $1",
                    )
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(sent)
    }

    /// Removes a closed shop's product pictures; a failure is logged and the next
    /// [`Backups::prune_closed`] tries again.
    async fn delete_pictures(&self, tenant: TenantId) {
        let Some(images) = &self.images else {
            return;
        };
        match images.delete_shop(tenant.as_uuid()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(objects = n, "a closed shop's pictures deleted"),
            Err(e) => {
                tracing::warn!(error = %e, "deleting a closed shop's pictures failed; the next prune retries");
            }
        }
    }

    /// Deletes each backup of a closed shop once it is older than the shop's backup
    /// horizon (as its policy stood when it closed), and unfinished ones at once; records
    /// when the last one went.
    pub async fn prune_closed(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(TenantId, ClosedPrune)>, BackupError> {
        let mut out = Vec::new();
        for tenant in self.closed_tenants().await? {
            self.delete_pictures(tenant).await;
            let mut tx = self.db.begin(tenant).await?;
            let row: Option<(Uuid, Option<i32>)> = sqlx::query_as(
                "select id, backup_horizon_days from ledger.shop_closures \
                 where closed_at is not null and backups_gone_at is null",
            )
            .fetch_optional(&mut tx)
            .await?;
            let Some((id, horizon)) = row else {
                tx.commit().await?;
                continue;
            };
            let horizon = Duration::days(i64::from(horizon.unwrap_or(1)));
            let mut report = ClosedPrune::default();
            for b in self.list(tenant).await? {
                if !b.complete || b.created_at + horizon <= now {
                    self.store
                        .delete(&manifest_key(tenant, &b.backup_id))
                        .await?;
                    self.store.delete(&data_key(tenant, &b.backup_id)).await?;
                    report.deleted.push(b.backup_id);
                } else {
                    report.waiting += 1;
                }
            }
            if report.waiting == 0 {
                sqlx::query("update ledger.shop_closures set backups_gone_at = $2 where id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut tx)
                    .await?;
            }
            tx.commit().await?;
            if !report.deleted.is_empty() {
                tracing::info!(
                    tenant_id = %tenant,
                    deleted = report.deleted.len(),
                    waiting = report.waiting,
                    "expired backups of a closed shop deleted"
                );
            }
            out.push((tenant, report));
        }
        Ok(out)
    }
}

fn statements(handle: &str) -> Vec<String> {
    vec![
        "Staff accounts, sessions, login records and invitations: deleted; nobody can sign in to the shop's console any more.".to_owned(),
        "The shop's audit log and its signed checkpoints, in the database and in object storage: deleted.".to_owned(),
        "Product pictures in object storage: deleted.".to_owned(),
        "Carts in the cart store: their details were sealed under the shop's keys, now destroyed; each expires on its own within the cart lifetime the shop had set.".to_owned(),
        "Erasure requests and their certificates, exports and newsletters: deleted with the rows above.".to_owned(),
        format!("What stays on the platform: a record that shop `{handle}` existed and was closed, without its name or host names, so that its address is not handed to someone else by mistake; and the record of this closure with this certificate."),
    ]
}

/// The mail: a summary a person reads, then the signed document.
fn letter(c: &DeletionCertificate) -> String {
    let rows: u64 = c.deleted.iter().map(|d| d.rows).sum();
    let mut body = format!(
        "Your shop {} ({}) was closed as you asked on {}. On {} every record of it was deleted: {rows} rows in {} tables, and {} keys destroyed.\n\n",
        c.shop_name,
        c.shop_handle,
        c.requested_at.format("%-d %B %Y"),
        c.deleted_at.format("%-d %B %Y %H:%M UTC"),
        c.deleted.len(),
        c.keys_destroyed,
    );
    body.push_str(&format!(
        "Before confirming, you received the full export (SHA-256 {}, made {}). Keep it: it holds your accounting records.\n\n",
        c.export.sha256,
        c.export.made_at.format("%-d %B %Y %H:%M UTC")
    ));
    body.push_str(&c.backups.text);
    body.push_str("\n\n");
    for s in &c.statements {
        body.push_str("- ");
        body.push_str(s);
        body.push('\n');
    }
    body.push_str(
        "\nThe signed certificate (Ed25519; the platform publishes its certificate key):\n\n",
    );
    body.push_str(&serde_json::to_string_pretty(c).unwrap_or_default());
    body.push('\n');
    body
}
