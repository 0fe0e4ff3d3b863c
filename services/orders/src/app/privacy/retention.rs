//! Retention of the orders service's classes (O15), as of the caller's `now`: an order's
//! contact, delivery and card details go the shop's chosen days after delivery (or
//! cancellation), exactly as an erasure removes them (keys shredded, ledger entry, order
//! kept pseudonymised); buyer IPs go after their own days; records of sent mail and
//! expired exports are deleted. A dry run counts the same rows and changes nothing.

use chrono::{DateTime, Utc};
use platform_orders_api::{RetentionCounts, RetentionRun};
use platform_tenancy::TenantId;
use uuid::Uuid;

use super::{Orders, Result};
use crate::db;

impl Orders {
    /// Applies or previews the shop's retention.
    pub async fn retention(&self, tenant: TenantId, run: RetentionRun) -> Result<RetentionCounts> {
        let mut tx = self.db.begin(tenant).await?;
        let policy = db::retention::retention_policy(&mut tx).await?;
        let now: DateTime<Utc> = run.now;
        let stale: Vec<Uuid> =
            db::retention::stale_order_subjects(&mut tx, now, policy.order_details_days).await?;
        let dry = run.dry_run;
        // IPs before the details, so that a run counts what its preview showed.
        let buyer_ips = db::retention::old_ips(&mut tx, now, policy.buyer_ip_days, dry).await?;
        if !dry {
            db::subjects::erase(&mut tx, &stale).await?;
            for subject in &stale {
                self.vault.shred_subject(&mut tx, *subject).await?;
            }
        }
        let counts = RetentionCounts {
            order_details: stale.len() as i64,
            buyer_ips,
            delivered_mail: db::retention::old_mail(&mut tx, now, policy.mail_days, dry).await?,
            request_exports: db::retention::expired_exports(&mut tx, now, dry).await?,
        };
        tx.commit().await?;
        if !run.dry_run {
            tracing::info!(tenant_id = %tenant, order_details = counts.order_details, buyer_ips = counts.buyer_ips, delivered_mail = counts.delivered_mail, "retention applied");
        }
        Ok(counts)
    }
}
