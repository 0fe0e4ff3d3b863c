//! What every rendered page of a shop shows besides its content (the frame: logo, menu,
//! contact), and the settings the cart page and the stylesheet need (currency, checkout
//! fields, whether it sells to minors, accent colour), cached per shop. The same
//! `catalog_changed` notifications that drop a shop's pages drop its entry (the settings,
//! pictures and collections tables send them), and entries expire after [`TTL`] should
//! the listener be down.
//!
//! Before, every rendered page, error page, cart view and stylesheet read these in a
//! transaction of its own: about six small queries per cart view.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use platform_domain::{CheckoutFields, Currency};
use platform_tenancy::{TenantDb, TenantId};

use crate::db::catalog::{self, Frame};
use crate::error::ShopError;

/// Longest life of an entry (as the page cache's).
pub const TTL: Duration = Duration::from_secs(300);

/// Shops remembered at most; the least recently used go first.
const MAX_SHOPS: u64 = 20_000;

/// One shop's settings as pages show them.
#[derive(Debug, Default)]
pub struct ShopSettings {
    /// Logo, menu, contact.
    pub frame: Frame,
    /// The shop's currency (none before its settings exist).
    pub currency: Option<Currency>,
    /// What checkout asks for (O2); the cart and orders services enforce it on their own
    /// reads, this is what the form shows.
    pub checkout_fields: CheckoutFields,
    /// Whether the shop sells to minors (O19: the age question).
    pub sells_to_minors: bool,
    /// The accent colour, `#rrggbb`.
    pub accent: Option<String>,
}

/// The cache.
pub struct SettingsCache {
    db: TenantDb,
    entries: Cache<TenantId, Arc<ShopSettings>>,
    /// Bumped by every invalidation: a read that began before one is not kept, so a
    /// notification that lands while a shop is being read is never undone by that read.
    generation: AtomicU64,
}

impl SettingsCache {
    /// An empty cache over `db`.
    pub fn new(db: TenantDb) -> Self {
        SettingsCache {
            db,
            entries: Cache::builder()
                .max_capacity(MAX_SHOPS)
                .time_to_live(TTL)
                .build(),
            generation: AtomicU64::new(0),
        }
    }

    /// The settings of `shop`, read when not cached.
    pub async fn of(&self, shop: TenantId) -> Result<Arc<ShopSettings>, ShopError> {
        if let Some(s) = self.entries.get(&shop) {
            return Ok(s);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let mut tx = self.db.begin(shop).await?;
        let settings = Arc::new(ShopSettings {
            frame: catalog::frame(&mut tx).await?,
            currency: catalog::currency(&mut tx).await?,
            checkout_fields: catalog::checkout_fields(&mut tx).await?,
            sells_to_minors: catalog::sells_to_minors(&mut tx).await?,
            accent: catalog::accent(&mut tx).await?,
        });
        tx.commit().await?;
        if self.generation.load(Ordering::Acquire) == generation {
            self.entries.insert(shop, settings.clone());
        }
        Ok(settings)
    }

    /// Forgets one shop's settings.
    pub fn invalidate_shop(&self, shop: TenantId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(&shop);
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
}
