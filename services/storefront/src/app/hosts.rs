//! Host → shop resolution, cached. Entries (negative ones too) live at most
//! [`TTL`]; a `tenant_hosts_changed` notification from Postgres (sent by a trigger on
//! `tenants`) empties the cache at once, so a renamed or suspended shop is seen within
//! milliseconds, and within the TTL even if the listener connection is down.

use std::time::Duration;

use moka::sync::Cache;
use platform_tenancy::{TenancyError, TenantDb};

use crate::db;
pub use crate::db::shops::Shop;

/// Longest life of a cache entry.
pub const TTL: Duration = Duration::from_secs(30);

/// Host names remembered at most (with negative answers); the least recently used go
/// first.
const MAX_HOSTS: u64 = 50_000;

/// The cache.
pub struct HostCache {
    db: TenantDb,
    entries: Cache<String, Option<Shop>>,
}

impl HostCache {
    /// An empty cache over `db`.
    pub fn new(db: TenantDb) -> Self {
        HostCache {
            db,
            entries: Cache::builder()
                .max_capacity(MAX_HOSTS)
                .time_to_live(TTL)
                .build(),
        }
    }

    /// Forgets everything.
    pub fn invalidate(&self) {
        self.entries.invalidate_all();
    }

    /// The shop at `host` (lowercase, without port), if any.
    pub async fn resolve(&self, host: &str) -> Result<Option<Shop>, TenancyError> {
        if let Some(shop) = self.entries.get(host) {
            return Ok(shop);
        }
        let mut tx = self.db.platform().await?;
        let shop = db::shops::by_host(&mut tx, host).await?;
        tx.commit().await?;
        self.entries.insert(host.to_owned(), shop.clone());
        Ok(shop)
    }
}
