//! Product view counts (O23): an in-memory tally per (shop, product, day), added to
//! `product_view_counts` every few seconds. No visitor, session, address or time of day
//! is ever recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use platform_domain::ProductId;
use platform_tenancy::{TenantDb, TenantId};

use crate::db;

/// Pending counts.
#[derive(Debug, Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<(TenantId, ProductId, NaiveDate), i64>>,
}

impl ViewCounter {
    /// Counts one view of `product` today.
    pub fn record(&self, tenant: TenantId, product: ProductId) {
        if let Ok(mut p) = self.pending.lock() {
            *p.entry((tenant, product, Utc::now().date_naive()))
                .or_insert(0) += 1;
        }
    }

    /// Writes pending counts (one transaction per shop). Counts that fail to write are
    /// put back for the next flush.
    pub async fn flush(&self, db: &TenantDb) {
        let drained: Vec<_> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return,
        };
        let mut by_tenant: HashMap<TenantId, Vec<(ProductId, NaiveDate, i64)>> = HashMap::new();
        for ((t, p, d), n) in drained {
            by_tenant.entry(t).or_default().push((p, d, n));
        }
        for (tenant, rows) in by_tenant {
            if let Err(e) = Self::write(db, tenant, &rows).await {
                tracing::warn!(tenant_id = %tenant, error = %e, "view counts not written; retrying later");
                if let Ok(mut p) = self.pending.lock() {
                    for (product, day, n) in rows {
                        *p.entry((tenant, product, day)).or_insert(0) += n;
                    }
                }
            }
        }
    }

    async fn write(
        db: &TenantDb,
        tenant: TenantId,
        rows: &[(ProductId, NaiveDate, i64)],
    ) -> Result<(), platform_tenancy::TenancyError> {
        let mut tx = db.begin(tenant).await?;
        let mut by_day: HashMap<NaiveDate, (Vec<ProductId>, Vec<i64>)> = HashMap::new();
        for (product, day, n) in rows {
            let entry = by_day.entry(*day).or_default();
            entry.0.push(*product);
            entry.1.push(*n);
        }
        for (day, (products, counts)) in by_day {
            db::view_counts::add(&mut tx, day, &products, &counts).await?;
        }
        tx.commit().await
    }

    /// Flushes every `period` in the background.
    pub fn flush_every(self: Arc<Self>, db: TenantDb, period: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                self.flush(&db).await;
            }
        });
    }
}
