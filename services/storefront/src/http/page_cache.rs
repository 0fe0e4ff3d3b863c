//! Rendered-page cache, per shop, invalidated by `catalog_changed` notifications that
//! triggers on every catalog table send with the shop's id. Entries also expire after
//! [`TTL`]: that bounds staleness if the listener connection is down, and for the one
//! time-based page (a published policy taking effect at its date).
//!
//! Only 200 answers to plain GETs are kept, never the cart, checkout, order or data-request
//! pages, nor any answer marked `no-store`. Pages hold no
//! per-visitor content: the mini-cart and the cookie-less token are filled in after the
//! cache by the visit middleware, so visitors with a cart cookie share the cache too.
//! Views of product pages are still counted on a cache hit (the handler marks the
//! response with the product it showed).

use std::time::Duration;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use moka::sync::Cache;
use platform_domain::{ProductId, ShopStatus};
use platform_tenancy::TenantId;

use crate::AppState;
use crate::http::visit::Visit;

/// Longest life of an entry.
pub const TTL: Duration = Duration::from_secs(300);
/// Memory the cache may hold (bodies, headers and keys), across every shop.
const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Largest page kept; larger ones are served, not cached.
const MAX_CACHED_BODY: usize = 1024 * 1024;
/// Largest page the storefront renders at all.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Longest path that is cached.
const MAX_PATH: usize = 512;
/// Query parameters that change what a page shows, and their longest values; a request
/// with any other parameter, or a longer value, is answered without the cache.
const QUERY_PARAMS: [(&str, usize); 2] = [("q", 200), ("after", 100)];

/// Marks a response as showing this product (for view counting on cache hits).
#[derive(Debug, Clone, Copy)]
pub struct ViewedProduct(pub ProductId);

#[derive(Clone)]
struct Entry {
    headers: HeaderMap,
    body: Bytes,
    product: Option<ProductId>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    tenant: TenantId,
    /// The path and the allow-listed query parameters, sorted.
    page: String,
}

fn weight(key: &Key, entry: &Entry) -> u32 {
    let headers: usize = entry
        .headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    u32::try_from(key.page.len() + entry.body.len() + headers + 64).unwrap_or(u32::MAX)
}

/// The cache: rendered pages per shop, bounded in bytes; the least recently used
/// entries are evicted first, and a shop's entries can be dropped together.
pub struct PageCache {
    pages: Cache<Key, Entry>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            pages: Cache::builder()
                .max_capacity(MAX_BYTES)
                .weigher(weight)
                .time_to_live(TTL)
                .support_invalidation_closures()
                .build(),
        }
    }
}

impl PageCache {
    /// Forgets one shop's pages.
    pub fn invalidate_shop(&self, tenant: TenantId) {
        if let Err(e) = self
            .pages
            .invalidate_entries_if(move |k, _| k.tenant == tenant)
        {
            // Only when the cache was built without closures; then drop everything.
            tracing::warn!(error = %e, "page cache: dropping every shop's pages");
            self.pages.invalidate_all();
        }
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        self.pages.invalidate_all();
    }

    fn get(&self, key: &Key) -> Option<Entry> {
        self.pages.get(key)
    }

    fn put(&self, key: Key, entry: Entry) {
        self.pages.insert(key, entry);
    }
}

/// The cache key of a page: its path and its allow-listed query parameters in order, or
/// `None` when the request must not be cached (unknown parameters, overlong values).
fn page_key(uri: &Uri) -> Option<String> {
    let path = uri.path();
    if path.len() > MAX_PATH {
        return None;
    }
    let mut params: Vec<(String, String)> = match uri.query() {
        None | Some("") => Vec::new(),
        Some(q) => serde_urlencoded::from_str(q).ok()?,
    };
    for (name, value) in &params {
        let (_, max) = QUERY_PARAMS.iter().find(|(n, _)| n == name)?;
        if value.len() > *max {
            return None;
        }
    }
    params.sort();
    params.dedup_by(|a, b| a.0 == b.0);
    if params.is_empty() {
        return Some(path.to_owned());
    }
    let query = serde_urlencoded::to_string(&params).ok()?;
    Some(format!("{path}?{query}"))
}

fn cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    // A cookie-less visitor's pages carry their cart token in every link.
    let token_visit = request
        .extensions()
        .get::<Visit>()
        .is_some_and(|v| v.mode == platform_cart_api::Mode::Visit && v.cart.is_some());
    request.method() == Method::GET
        && !token_visit
        && !path.starts_with("/assets/")
        // Pictures: immutable, kept by browsers and shared caches for a year, and some
        // are larger than a page may be here.
        && !path.starts_with("/images/")
        && path != "/healthz"
        && path != "/readyz"
        && path != "/cart"
        && !path.starts_with("/cart/")
        && path != "/checkout"
        && !path.starts_with("/checkout/")
        && !path.starts_with("/orders/")
        // Data requests: confirmation links and a person's export.
        && !path.starts_with("/privacy/")
        && !request.headers().contains_key(header::AUTHORIZATION)
}

fn respond(entry: Entry, if_none_match: Option<&str>) -> Response {
    let fresh = match (if_none_match, entry.headers.get(header::ETAG)) {
        (Some(wanted), Some(tag)) => wanted
            .split(',')
            .any(|t| t.trim() == "*" || t.trim().as_bytes() == tag.as_bytes()),
        _ => false,
    };
    let mut response = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(entry.body))
    };
    *response.headers_mut() = entry.headers;
    if fresh {
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    response
}

/// Middleware: serves cached pages of the request's shop, caching fresh 200s.
pub async fn page_cache(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !cacheable(&request) {
        return next.run(request).await;
    }
    let host = crate::http::shop::request_host(request.headers(), request.uri());
    let shop = match host {
        Some(h) => state.hosts.resolve(&h).await.ok().flatten(),
        None => None,
    };
    let Some(shop) = shop.filter(|s| s.status == ShopStatus::Active) else {
        return next.run(request).await;
    };
    // HTML and JSON errors differ by Accept, but only 200s are cached and those do not.
    let Some(page) = page_key(request.uri()) else {
        return next.run(request).await;
    };
    let key = Key {
        tenant: shop.id,
        page,
    };
    if let Some(entry) = state.pages.get(&key) {
        if let Some(product) = entry.product {
            state.views.record(shop.id, product);
        }
        let if_none_match = request
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        return respond(entry, if_none_match);
    }
    let response = next.run(request).await;
    // A page that says it must not be stored (it shows someone's data) never is.
    let no_store = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if response.status() != StatusCode::OK || no_store {
        return response;
    }
    let product = response.extensions().get::<ViewedProduct>().map(|v| v.0);
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if body.len() <= MAX_CACHED_BODY {
        state.pages.put(
            key,
            Entry {
                headers: parts.headers.clone(),
                body: body.clone(),
                product,
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(uri: &str) -> Option<String> {
        page_key(&uri.parse().unwrap())
    }

    #[test]
    fn keys_keep_only_the_parameters_that_change_a_page() {
        assert_eq!(key("/products").as_deref(), Some("/products"));
        assert_eq!(key("/search?q=boots").as_deref(), Some("/search?q=boots"));
        assert_eq!(
            key("/search?q=boots&q=tent").as_deref(),
            Some("/search?q=boots"),
            "one value per parameter"
        );
        assert_eq!(key("/search?q=a+b"), key("/search?q=a%20b"), "one spelling");
        assert_eq!(
            key("/products?utm_source=x"),
            None,
            "unknown parameters bypass"
        );
        assert_eq!(key(&format!("/search?q={}", "x".repeat(201))), None);
        assert_eq!(key(&format!("/{}", "p".repeat(600))), None);
    }

    #[test]
    fn the_cache_is_bounded_in_bytes() {
        let cache = PageCache {
            pages: Cache::builder()
                .max_capacity(100_000)
                .weigher(weight)
                .build(),
        };
        let tenant = TenantId::random();
        for i in 0..100 {
            cache.put(
                Key {
                    tenant,
                    page: format!("/p/{i}"),
                },
                Entry {
                    headers: HeaderMap::new(),
                    body: Bytes::from(vec![b'x'; 10_000]),
                    product: None,
                },
            );
        }
        cache.pages.run_pending_tasks();
        assert!(
            cache.pages.weighted_size() <= 100_000,
            "{}",
            cache.pages.weighted_size()
        );
        assert!(cache.pages.entry_count() < 100);
    }
}
