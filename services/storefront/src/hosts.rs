//! Host → shop resolution, cached. Entries (negative ones too) live at most
//! [`TTL`]; a `tenant_hosts_changed` notification from Postgres (sent by a trigger on
//! `tenants`) empties the cache at once, so a renamed or suspended shop is seen within
//! milliseconds, and within the TTL even if the listener connection is down.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use platform_tenancy::{TenantDb, TenantId};
use platform_web::WebError;
use sqlx::postgres::{PgConnectOptions, PgListener};

use crate::{AppState, PageCache};

/// Longest life of a cache entry.
pub const TTL: Duration = Duration::from_secs(30);

/// A shop, as the storefront knows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shop {
    /// Tenant id.
    pub id: TenantId,
    /// Handle.
    pub handle: String,
    /// Name.
    pub display_name: String,
    /// active or suspended (deleted shops are not found).
    pub status: String,
}

type Entry = (Option<Shop>, Instant);

/// The cache.
pub struct HostCache {
    db: TenantDb,
    entries: RwLock<HashMap<String, Entry>>,
}

impl HostCache {
    /// An empty cache over `db`.
    pub fn new(db: TenantDb) -> Self {
        HostCache {
            db,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Forgets everything.
    pub fn invalidate(&self) {
        if let Ok(mut e) = self.entries.write() {
            e.clear();
        }
    }

    /// The shop at `host` (lowercase, without port), if any.
    pub async fn resolve(&self, host: &str) -> Result<Option<Shop>, WebError> {
        if let Ok(entries) = self.entries.read()
            && let Some((shop, at)) = entries.get(host)
            && at.elapsed() < TTL
        {
            return Ok(shop.clone());
        }
        let mut tx = self.db.platform().await.map_err(WebError::internal)?;
        let shop: Option<Shop> = sqlx::query_as(
            "select id, handle, display_name, status from tenants \
             where host_names @> array[$1] and status <> 'deleted'",
        )
        .bind(host)
        .fetch_optional(&mut tx)
        .await
        .map_err(WebError::internal)?;
        tx.commit().await.map_err(WebError::internal)?;
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() > 50_000 {
                entries.clear();
            }
            entries.insert(host.to_owned(), (shop.clone(), Instant::now()));
        }
        Ok(shop)
    }

    /// Listens for `tenant_hosts_changed` (empties this cache) and `catalog_changed`
    /// (drops one shop's cached pages); reconnects after failures, dropping everything
    /// cached meanwhile.
    pub fn listen(self: Arc<Self>, options: PgConnectOptions, pages: Arc<PageCache>) {
        tokio::spawn(async move {
            loop {
                if let Err(e) = Self::listen_once(&self, &options, &pages).await {
                    tracing::warn!(error = %e, "cache listener down; relying on TTLs");
                }
                self.invalidate();
                pages.invalidate_all();
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }

    async fn listen_once(
        &self,
        options: &PgConnectOptions,
        pages: &PageCache,
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
        self.invalidate();
        pages.invalidate_all();
        loop {
            let note = listener.recv().await?;
            if note.channel() == "catalog_changed" {
                match note.payload().parse::<TenantId>() {
                    Ok(tenant) => pages.invalidate_shop(tenant),
                    Err(_) => pages.invalidate_all(),
                }
            } else {
                self.invalidate();
                pages.invalidate_all();
            }
        }
    }
}

/// The host of a request without port, lowercased: the `Host` header, or under HTTP/2
/// (which has no `Host` header) the URI's authority.
pub(crate) fn request_host(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Option<String> {
    let raw = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.host())?;
    let authority: axum::http::uri::Authority = raw.parse().ok()?;
    Some(authority.host().trim_end_matches('.').to_ascii_lowercase())
}

/// Extractor: the shop of this request, or a bare 404 / 503.
impl FromRequestParts<AppState> for Shop {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let host = request_host(&parts.headers, &parts.uri)
            .ok_or_else(|| WebError::not_found("not_found", "There is nothing here."))?;
        match state.hosts.resolve(&host).await? {
            None => Err(WebError::not_found("not_found", "There is nothing here.")),
            Some(shop) if shop.status == "suspended" => Err(WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shop.unavailable",
                "This shop is temporarily unavailable. Please come back later.",
            )
            .with_retry_after(3600)),
            Some(shop) => Ok(shop),
        }
    }
}
