//! Rendered-page cache, per shop, invalidated by `catalog_changed` notifications that
//! triggers on every catalog table send with the shop's id. Entries also expire after
//! [`TTL`]: that bounds staleness if the listener connection is down, and for the one
//! time-based page (a published policy taking effect at its date).
//!
//! Only 200 answers to plain GETs are kept, never the cart page. Pages hold no
//! per-visitor content: the mini-cart and the cookie-less token are filled in after the
//! cache by the visit middleware, so visitors with a cart cookie share the cache too.
//! Views of product pages are still counted on a cache hit (the handler marks the
//! response with the product it showed).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use platform_tenancy::TenantId;
use uuid::Uuid;

use crate::AppState;

/// Longest life of an entry.
pub const TTL: Duration = Duration::from_secs(300);
const MAX_BODY: usize = 512 * 1024;
const MAX_ENTRIES: usize = 200_000;

/// Marks a response as showing this product (for view counting on cache hits).
#[derive(Debug, Clone, Copy)]
pub struct ViewedProduct(pub Uuid);

#[derive(Clone)]
struct Entry {
    headers: HeaderMap,
    body: Bytes,
    product: Option<Uuid>,
    at: Instant,
}

/// The cache: shop → path → entry.
#[derive(Default)]
pub struct PageCache {
    shops: RwLock<HashMap<TenantId, HashMap<String, Entry>>>,
}

impl PageCache {
    /// Forgets one shop's pages.
    pub fn invalidate_shop(&self, tenant: TenantId) {
        if let Ok(mut shops) = self.shops.write() {
            shops.remove(&tenant);
        }
    }

    /// Forgets everything.
    pub fn invalidate_all(&self) {
        if let Ok(mut shops) = self.shops.write() {
            shops.clear();
        }
    }

    fn get(&self, tenant: TenantId, key: &str) -> Option<Entry> {
        let shops = self.shops.read().ok()?;
        let entry = shops.get(&tenant)?.get(key)?;
        (entry.at.elapsed() < TTL).then(|| entry.clone())
    }

    fn put(&self, tenant: TenantId, key: String, entry: Entry) {
        if let Ok(mut shops) = self.shops.write() {
            let total: usize = shops.values().map(HashMap::len).sum();
            if total >= MAX_ENTRIES {
                shops.clear();
            }
            shops.entry(tenant).or_default().insert(key, entry);
        }
    }
}

fn cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && !path.starts_with("/assets/")
        && path != "/healthz"
        && path != "/readyz"
        && path != "/cart"
        && !path.starts_with("/cart/")
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
    let host = crate::hosts::request_host(request.headers(), request.uri());
    let shop = match host {
        Some(h) => state.hosts.resolve(&h).await.ok().flatten(),
        None => None,
    };
    let Some(shop) = shop.filter(|s| s.status == "active") else {
        return next.run(request).await;
    };
    // HTML and JSON errors differ by Accept, but only 200s are cached and those do not.
    let key = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    if let Some(entry) = state.pages.get(shop.id, &key) {
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
    if response.status() != StatusCode::OK {
        return response;
    }
    let product = response.extensions().get::<ViewedProduct>().map(|v| v.0);
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    state.pages.put(
        shop.id,
        key,
        Entry {
            headers: parts.headers.clone(),
            body: body.clone(),
            product,
            at: Instant::now(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}
