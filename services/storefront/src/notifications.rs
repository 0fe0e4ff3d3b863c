//! Cache invalidation by Postgres notifications: `tenant_hosts_changed` (sent by a
//! trigger on `tenants`) empties the host cache, `catalog_changed` (sent by triggers on
//! every catalog table with the shop's id) drops that shop's cached pages, settings and
//! search results.

use std::sync::Arc;
use std::time::Duration;

use platform_tenancy::TenantId;
use sqlx::postgres::{PgConnectOptions, PgListener};

use crate::app::hosts::HostCache;
use crate::app::search_cache::SearchCache;
use crate::app::shop_settings::SettingsCache;
use crate::http::page_cache::PageCache;

/// What a shop's `catalog_changed` drops.
pub struct ShopCaches {
    /// Its rendered pages.
    pub pages: Arc<PageCache>,
    /// Its frame and settings.
    pub settings: Arc<SettingsCache>,
    /// Its search results.
    pub searches: Arc<SearchCache>,
}

impl ShopCaches {
    fn invalidate_shop(&self, tenant: TenantId) {
        self.pages.invalidate_shop(tenant);
        self.settings.invalidate_shop(tenant);
        self.searches.invalidate_shop(tenant);
    }

    fn invalidate_all(&self) {
        self.pages.invalidate_all();
        self.settings.invalidate_all();
        self.searches.invalidate_all();
    }
}

/// Listens for `tenant_hosts_changed` (empties the host cache) and `catalog_changed`
/// (drops one shop's cached pages); reconnects after failures, dropping everything
/// cached meanwhile.
pub fn listen(hosts: Arc<HostCache>, options: PgConnectOptions, pages: ShopCaches) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen_once(&hosts, &options, &pages).await {
                tracing::warn!(error = %e, "cache listener down; relying on TTLs");
            }
            hosts.invalidate();
            pages.invalidate_all();
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}

async fn listen_once(
    hosts: &HostCache,
    options: &PgConnectOptions,
    pages: &ShopCaches,
) -> Result<(), sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener
        .listen_all(["tenant_hosts_changed", "catalog_changed"])
        .await?;
    // Anything cached before we listened may be stale.
    hosts.invalidate();
    pages.invalidate_all();
    loop {
        let note = listener.recv().await?;
        if note.channel() == "catalog_changed" {
            match note.payload().parse::<TenantId>() {
                Ok(tenant) => pages.invalidate_shop(tenant),
                Err(_) => pages.invalidate_all(),
            }
        } else {
            // Pages are kept per shop and served only after the host resolves afresh,
            // so a host or status change needs no page to be dropped (and a new shop
            // signing up drops nobody's pages).
            hosts.invalidate();
        }
    }
}
