//! Retention: grandfather-father-son per shop, and abandoned runs.

use super::*;

impl Backups {
    /// Applies the tenant's retention policy as of `now`: deletes every complete backup
    /// the policy does not keep, and abandoned runs (data without a manifest) older than a
    /// day. With `dry_run` nothing is deleted.
    #[tracing::instrument(name = "backup.prune", skip_all, fields(tenant_id = %tenant))]
    pub async fn prune(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PruneReport, BackupError> {
        let policy = {
            let mut tx = self.db.begin(tenant).await?;
            let policy = db::policy(&mut tx).await?;
            tx.commit().await?;
            policy
        };
        let listed = self.list(tenant).await?;
        let (complete, partial): (Vec<_>, Vec<_>) = listed.into_iter().partition(|b| b.complete);
        let times: Vec<DateTime<Utc>> = complete.iter().map(|b| b.created_at).collect();
        let keep = retention::keep(&times, policy);
        let mut report = PruneReport::default();
        for (i, b) in complete.iter().enumerate() {
            if keep.contains(&i) {
                report.kept.push(b.backup_id.clone());
            } else {
                report.deleted.push(b.backup_id.clone());
            }
        }
        for b in &partial {
            if now - b.created_at > chrono::Duration::hours(ORPHAN_AGE_HOURS) {
                report.deleted.push(b.backup_id.clone());
            }
        }
        if !dry_run {
            for id in &report.deleted {
                // The manifest goes first: from then on the backup is no longer valid.
                self.store.delete(&manifest_key(tenant, id)).await?;
                self.store.delete(&data_key(tenant, id)).await?;
            }
        }
        tracing::info!(
            kept = report.kept.len(),
            deleted = report.deleted.len(),
            dry_run,
            "prune"
        );
        Ok(report)
    }
}
