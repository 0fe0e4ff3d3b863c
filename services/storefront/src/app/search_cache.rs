//! Search results per shop. A search reads the shop's whole active catalog through the
//! full-text filter (about a millisecond of Postgres per thousand products, and as much
//! again to plan it), so its results are kept, keyed by the shop and the words as the
//! query searches them ("Boots", "boots " and "BOOTS" share one entry). The results page
//! and the JSON API share them, and so do visitors whose pages the page cache cannot keep
//! (cookie-less carts). The same `catalog_changed` notifications that drop a shop's pages
//! drop its results, and entries expire after [`TTL`] should the listener be down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use platform_tenancy::{TenantDb, TenantId};

use crate::db::catalog::{self, Product};
use crate::error::ShopError;

/// Longest life of an entry (as the page cache's).
pub const TTL: Duration = Duration::from_secs(300);

/// Memory the results may hold, across every shop (estimated from their text).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    shop: TenantId,
    /// The words as searched (`catalog::prefix_query`).
    words: String,
}

fn weight(key: &Key, results: &Arc<Vec<Product>>) -> u32 {
    let text: usize = results
        .iter()
        .map(|p| p.handle.len() + p.title.len() + p.description.len() + 256)
        .sum();
    u32::try_from(key.words.len() + text + 64).unwrap_or(u32::MAX)
}

/// The cache.
pub struct SearchCache {
    db: TenantDb,
    entries: Cache<Key, Arc<Vec<Product>>>,
    /// Bumped by every invalidation: results read before one are not kept, so a
    /// notification that lands during a search is never undone by it.
    generation: AtomicU64,
}

impl SearchCache {
    /// An empty cache over `db`.
    pub fn new(db: TenantDb) -> Self {
        SearchCache {
            db,
            entries: Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(weight)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    /// The active products of `shop` that match `query` (none for a query without
    /// words), searched when not cached.
    pub async fn search(
        &self,
        shop: TenantId,
        query: &str,
    ) -> Result<Arc<Vec<Product>>, ShopError> {
        let words = catalog::prefix_query(query);
        if words.is_empty() {
            return Ok(Arc::default());
        }
        let key = Key { shop, words };
        if let Some(hit) = self.entries.get(&key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let mut tx = self.db.begin(shop).await?;
        let found = Arc::new(catalog::search_words(&mut tx, &key.words).await?);
        tx.commit().await?;
        if self.generation.load(Ordering::Acquire) == generation {
            self.entries.insert(key, found.clone());
        }
        Ok(found)
    }

    /// Forgets one shop's results.
    pub fn invalidate_shop(&self, shop: TenantId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = self
            .entries
            .invalidate_entries_if(move |k, _| k.shop == shop)
        {
            // Only when the cache was built without closures; then drop everything.
            tracing::warn!(error = %e, "search cache: dropping every shop's results");
            self.entries.invalidate_all();
        }
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_query_share_a_key() {
        let shop = TenantId::random();
        let key = |q: &str| Key {
            shop,
            words: catalog::prefix_query(q),
        };
        assert!(key("Boots") == key("  boots "));
        assert!(key("BOOTS, wool") == key("boots wool"));
        assert!(key("boots") != key("boot"));
    }
}
