//! Product view counts (O23): an in-memory tally per (shop, product, day), added to
//! `product_view_counts` every few seconds. No visitor, session, address or time of day
//! is ever recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use platform_tenancy::{TenantDb, TenantId};
use uuid::Uuid;

/// Pending counts.
#[derive(Debug, Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<(TenantId, Uuid, NaiveDate), i64>>,
}

impl ViewCounter {
    /// Counts one view of `product` today.
    pub fn record(&self, tenant: TenantId, product: Uuid) {
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
        let mut by_tenant: HashMap<TenantId, Vec<(Uuid, NaiveDate, i64)>> = HashMap::new();
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
        rows: &[(Uuid, NaiveDate, i64)],
    ) -> Result<(), platform_tenancy::TenancyError> {
        let mut tx = db.begin(tenant).await?;
        let mut by_day: HashMap<NaiveDate, (Vec<Uuid>, Vec<i64>)> = HashMap::new();
        for (product, day, n) in rows {
            let entry = by_day.entry(*day).or_default();
            entry.0.push(*product);
            entry.1.push(*n);
        }
        for (day, (products, counts)) in by_day {
            // One statement per shop and day. The join drops products deleted meanwhile
            // (they have no counter to keep).
            sqlx::query(
                "insert into product_view_counts (tenant_id, product_id, day, views) \
                 select p.tenant_id, p.id, $2, x.n \
                 from unnest($3::uuid[], $4::bigint[]) as x(id, n) \
                 join products p on p.tenant_id = $1 and p.id = x.id \
                 on conflict (tenant_id, product_id, day) \
                 do update set views = product_view_counts.views + excluded.views",
            )
            .bind(tenant)
            .bind(day)
            .bind(&products)
            .bind(&counts)
            .execute(&mut tx)
            .await?;
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
