//! Search results per shop. An uncached search reads the shop's products that can match
//! it (the shop's word index, `search_index`, narrows them before Postgres filters them
//! exactly), or, for a shop too large to index, the shop's whole active catalog through
//! the full-text filter; its results are kept, keyed by the shop and the words as the
//! query searches them ("Boots", "boots " and "BOOTS" share one entry). The results page
//! and the JSON API share them, and so do visitors whose pages the page cache cannot keep
//! (cookie-less carts). The same `catalog_changed` notifications that drop a shop's pages
//! drop its results and its word index, and entries expire after [`TTL`] should the
//! listener be down.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use moka::sync::Cache;
use platform_tenancy::{TenantDb, TenantId};

use crate::app::search_index::{self, Forms, WordIndex};
use crate::db::catalog::Product;
use crate::db::search;
use crate::error::ShopError;

/// Longest life of an entry (as the page cache's).
pub const TTL: Duration = Duration::from_secs(300);

/// Memory the results may hold, across every shop (estimated from their text).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Memory the shops' word indexes may hold, together.
const MAX_INDEX_BYTES: u64 = 128 * 1024 * 1024;

/// Memory the words' forms may hold. They never go stale (they depend on the text-search
/// configurations only), but they are words visitors typed: kept for [`TTL`] at most,
/// like the results.
const MAX_FORMS_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    shop: TenantId,
    /// The words as searched (`search::prefix_query`).
    words: String,
}

fn weight(key: &Key, results: &Arc<Vec<Product>>) -> u32 {
    let text: usize = results
        .iter()
        .map(|p| p.handle.len() + p.title.len() + p.description.len() + 256)
        .sum();
    u32::try_from(key.words.len() + text + 64).unwrap_or(u32::MAX)
}

/// A shop's word index, or `None` for a shop with more than
/// [`search_index::MAX_PRODUCTS`] active products (searched without one).
type ShopIndex = Option<Arc<WordIndex>>;

fn index_weight(_: &TenantId, index: &ShopIndex) -> u32 {
    index
        .as_ref()
        .map_or(64, |i| u32::try_from(i.bytes()).unwrap_or(u32::MAX))
}

fn forms_weight(word: &str, forms: &Forms) -> u32 {
    let held: usize = forms
        .iter()
        .flat_map(|f| f.iter())
        .map(|f| f.len() + 16)
        .sum();
    u32::try_from(word.len() + held + 64).unwrap_or(u32::MAX)
}

/// The cache.
pub struct SearchCache {
    db: TenantDb,
    entries: Cache<Key, Arc<Vec<Product>>>,
    /// Each shop's word index.
    indexes: Cache<TenantId, ShopIndex>,
    /// Shops whose index is being read: a search meanwhile filters without one rather than
    /// read it a second time.
    loading: Mutex<HashSet<TenantId>>,
    /// Each word's forms.
    forms: Cache<String, Forms>,
    /// Bumped by every invalidation: results and indexes read before one are not kept, so
    /// a notification that lands during a search is never undone by it.
    generation: AtomicU64,
}

/// Takes a shop off the loading set when its index read ends, however it ends.
struct Loading<'a> {
    set: &'a Mutex<HashSet<TenantId>>,
    shop: TenantId,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.shop);
    }
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
            indexes: Cache::builder()
                .max_capacity(MAX_INDEX_BYTES)
                .weigher(index_weight)
                .time_to_live(TTL)
                .build(),
            loading: Mutex::default(),
            forms: Cache::builder()
                .max_capacity(MAX_FORMS_BYTES)
                .weigher(|word: &String, forms: &Forms| forms_weight(word, forms))
                .time_to_live(TTL)
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
        let words = search::query_words(query);
        let key = Key {
            shop,
            words: search::prefix_query(&words),
        };
        if key.words.is_empty() {
            return Ok(Arc::default());
        }
        if let Some(hit) = self.entries.get(&key) {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let candidates = match self.index(shop, generation).await? {
            Some(index) => index.candidates(&self.forms_of(&words).await?),
            None => None,
        };
        let found = match candidates {
            Some(none) if none.is_empty() => Vec::new(),
            Some(candidates) => {
                let mut tx = self.db.begin(shop).await?;
                let found = search::search_words_among(&mut tx, &key.words, &candidates).await?;
                tx.commit().await?;
                found
            }
            None => {
                let mut tx = self.db.begin(shop).await?;
                let found = search::search_words(&mut tx, &key.words).await?;
                tx.commit().await?;
                found
            }
        };
        let found = Arc::new(found);
        if self.generation.load(Ordering::Acquire) == generation {
            self.entries.insert(key, found.clone());
        }
        Ok(found)
    }

    /// The shop's word index, read when not cached; `None` while another search reads it
    /// or when the shop is too large to index.
    async fn index(
        &self,
        shop: TenantId,
        generation: u64,
    ) -> Result<Option<Arc<WordIndex>>, ShopError> {
        if let Some(index) = self.indexes.get(&shop) {
            return Ok(index);
        }
        if !self
            .loading
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(shop)
        {
            return Ok(None);
        }
        let _loading = Loading {
            set: &self.loading,
            shop,
        };
        let limit = i64::try_from(search_index::MAX_PRODUCTS + 1).unwrap_or(i64::MAX);
        let mut tx = self.db.begin(shop).await?;
        let rows = search::searchable_words(&mut tx, limit).await?;
        tx.commit().await?;
        let index =
            (rows.len() <= search_index::MAX_PRODUCTS).then(|| Arc::new(WordIndex::build(rows)));
        if self.generation.load(Ordering::Acquire) == generation {
            self.indexes.insert(shop, index.clone());
        }
        Ok(index)
    }

    /// The forms of each word, in order, read from Postgres for those not cached (in
    /// one statement).
    async fn forms_of(&self, words: &[String]) -> Result<Vec<Forms>, ShopError> {
        let mut found: Vec<Option<Forms>> = words.iter().map(|w| self.forms.get(w)).collect();
        let missing: Vec<String> = words
            .iter()
            .zip(&found)
            .filter(|(_, forms)| forms.is_none())
            .map(|(w, _)| w.clone())
            .collect();
        if !missing.is_empty() {
            let db = self.db.self_scoping();
            for (word, simple, english) in search::word_forms(&db, &missing).await? {
                let forms = search_index::forms(simple, english);
                for (w, slot) in words.iter().zip(found.iter_mut()) {
                    if *w == word && slot.is_none() {
                        *slot = Some(forms.clone());
                    }
                }
                self.forms.insert(word, forms);
            }
        }
        // A word Postgres gave no forms for narrows nothing.
        Ok(found.into_iter().map(Option::flatten).collect())
    }

    /// Forgets one shop's results and word index.
    pub fn invalidate_shop(&self, shop: TenantId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.indexes.invalidate(&shop);
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
        self.indexes.invalidate_all();
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
            words: search::prefix_query(&search::query_words(q)),
        };
        assert!(key("Boots") == key("  boots "));
        assert!(key("BOOTS, wool") == key("boots wool"));
        assert!(key("boots") != key("boot"));
    }
}
