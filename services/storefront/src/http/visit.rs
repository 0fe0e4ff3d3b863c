//! Who is visiting, cart-wise, and the per-visitor touches on otherwise shared pages.
//!
//! A visitor's cart is named by the `cart` cookie (a random 128-bit id and nothing else,
//! `HttpOnly; Secure; SameSite=Lax`, O4) or, when the browser refuses cookies, by a token
//! in the URL path: `/c/<id>/products/…`. This middleware runs before routing: it takes
//! the token off the path (so every route and the page cache see the plain path) and
//! records the [`Visit`]; pages render a token visitor's links with the token
//! ([`crate::http::links::Links`]). On the way out it fills in the one thing that differs
//! per visitor in a page that may come from the shared page cache, the mini-cart count;
//! for token visitors it prefixes redirects and sets `Referrer-Policy: no-referrer`, so
//! the token never leaves in a Referer header.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use maud::html;
use platform_cart_api::{CartCallError, CartId, Mode, Summary};

use crate::AppState;

/// Placeholder for the mini-cart in every page's header.
pub const MINICART_MARKER: &str = "<!--minicart-->";
/// The cookie's name.
pub const COOKIE: &str = "cart";
const MAX_PAGE: usize = 2 * 1024 * 1024;

/// The visitor's cart, if any, and how it is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Visit {
    /// The cart id from the cookie or the URL token.
    pub cart: Option<CartId>,
    /// Cookie or URL token.
    pub mode: Mode,
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Visit>().copied().unwrap_or_default())
    }
}

/// `Set-Cookie` for a cart kept `ttl` seconds: the id and nothing else (O4).
pub fn cookie(cart: CartId, ttl: u64) -> HeaderValue {
    let cookie = Cookie::build((COOKIE, cart.to_string()))
        .path("/")
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(ttl).unwrap_or(i64::MAX),
        ))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build();
    // Only hex digits and digits go in: always a valid header value.
    HeaderValue::from_str(&cookie.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("cart=; Max-Age=0"))
}

/// The cookie that remembers a visitor's declared age band for this browser session, so
/// that pages marked 13+ are refused to a visitor who said they are under 13 (O19). It
/// holds the band and nothing else; the platform keeps no copy.
const AGE_COOKIE: &str = "age_band";

/// `Set-Cookie` for the visitor's age band (until the browser closes).
pub fn age_cookie(band: platform_domain::AgeBand) -> HeaderValue {
    let cookie = Cookie::build((AGE_COOKIE, band.as_str()))
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build();
    HeaderValue::from_str(&cookie.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("age_band=; Max-Age=0"))
}

/// The age band this browser declared, if any.
pub fn age_band(headers: &HeaderMap) -> Option<platform_domain::AgeBand> {
    CookieJar::from_headers(headers)
        .get(AGE_COOKIE)
        .and_then(|c| platform_domain::AgeBand::parse(c.value().trim()))
}

fn cookie_cart(headers: &HeaderMap) -> Option<CartId> {
    CookieJar::from_headers(headers)
        .get(COOKIE)
        .and_then(|c| CartId::parse(c.value().trim()).ok())
}

/// Splits `/c/<token>/rest` into the cart id and `/rest`.
fn strip_token(uri: &Uri) -> Option<Result<(CartId, Uri), ()>> {
    let rest = uri.path().strip_prefix("/c/")?;
    let (token, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let Ok(id) = CartId::parse(token) else {
        return Some(Err(()));
    };
    let path = match uri.query() {
        Some(q) => format!("/{tail}?{q}"),
        None => format!("/{tail}"),
    };
    // Keep scheme and authority: under HTTP/2 the authority is where the host is.
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path.parse().map_err(|_| ()).ok()?);
    Some(Uri::from_parts(parts).map(|u| (id, u)).map_err(|_| ()))
}

/// The middleware (wraps the whole router, so it runs before routing).
pub async fn visit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let mut visit = Visit::default();
    match strip_token(request.uri()) {
        Some(Ok((id, uri))) => {
            visit = Visit {
                cart: Some(id),
                mode: Mode::Visit,
            };
            *request.uri_mut() = uri;
        }
        // A malformed token: the path stays as it is, so the router answers its coded 404
        // with every security header.
        Some(Err(())) => {}
        None => {
            if let Some(id) = cookie_cart(request.headers()) {
                visit = Visit {
                    cart: Some(id),
                    mode: Mode::Cookie,
                };
            }
        }
    }
    if visit.cart.is_some() {
        // Their pages differ from the shared copy (the mini-cart): never answer 304
        // against a tag from before the cart changed.
        request.headers_mut().remove(header::IF_NONE_MATCH);
    }
    let host = crate::http::shop::request_host(request.headers(), request.uri());
    request.extensions_mut().insert(visit);
    let response = next.run(request).await;
    personalise(&state, visit, host, response).await
}

/// The mini-cart count a handler already knows (the cart page read the whole cart), so
/// the header does not ask the cart service a second time.
#[derive(Debug, Clone, Copy)]
pub struct KnownSummary(pub Summary);

async fn minicart(
    state: &AppState,
    visit: Visit,
    host: Option<&str>,
    known: Option<KnownSummary>,
) -> (String, u64) {
    let mut count = 0;
    let mut ttl = 0;
    let mut unavailable = false;
    if let Some(KnownSummary(s)) = known {
        count = s.item_count;
        ttl = s.ttl_seconds;
    } else if let (Some(cart), Some(host)) = (visit.cart, host)
        && let Ok(Some(shop)) = state.hosts.resolve(host).await
    {
        match state.cart.summary(shop.id, cart, visit.mode).await {
            Ok(s) => {
                count = s.item_count;
                ttl = s.ttl_seconds;
            }
            Err(CartCallError::Refused { .. }) => {}
            Err(e) => {
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "mini-cart unavailable"
                );
                unavailable = true;
            }
        }
    }
    let fragment = html! {
        @if unavailable {
            span.minicart.unavailable role="status" { "Cart unavailable" }
        } @else {
            a.minicart href=(crate::http::links::Links::of(visit).to("/cart")) { "Cart (" span.count { (count) } ")" }
        }
    };
    (fragment.into_string(), ttl)
}

async fn personalise(
    state: &AppState,
    visit: Visit,
    host: Option<String>,
    response: Response,
) -> Response {
    let token_prefix = match (visit.mode, visit.cart) {
        (Mode::Visit, Some(id)) => Some(format!("/c/{id}")),
        _ => None,
    };
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let (mut parts, body) = response.into_parts();
    if let Some(prefix) = &token_prefix {
        parts.headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        let location = parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .filter(|l| l.starts_with('/') && !l.starts_with("//") && !l.starts_with("/c/"))
            .and_then(|l| HeaderValue::from_str(&format!("{prefix}{l}")).ok());
        if let Some(location) = location {
            parts.headers.insert(header::LOCATION, location);
        }
    }
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_PAGE).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // The marker is ASCII and sits in the header: the page is spliced around it as bytes,
    // one copy, and a page without it goes out as it came (often the cache's own bytes).
    let marker = MINICART_MARKER.as_bytes();
    let page = match bytes.windows(marker.len()).position(|w| w == marker) {
        Some(at) => {
            let known = parts.extensions.get::<KnownSummary>().copied();
            let (fragment, ttl) = minicart(state, visit, host.as_deref(), known).await;
            if let (Mode::Cookie, Some(id), true) = (visit.mode, visit.cart, ttl > 0) {
                parts.headers.append(header::SET_COOKIE, cookie(id, ttl));
            }
            let mut page = Vec::with_capacity(bytes.len() - marker.len() + fragment.len());
            page.extend_from_slice(&bytes[..at]);
            page.extend_from_slice(fragment.as_bytes());
            page.extend_from_slice(&bytes[at + marker.len()..]);
            Body::from(page)
        }
        None => Body::from(bytes),
    };
    let no_store = parts
        .headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes() == b"no-store");
    if visit.cart.is_some() && !no_store {
        parts.headers.remove(header::ETAG);
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_off_the_path() {
        let id = CartId::random();
        let uri: Uri = format!("/c/{id}/products/boots?x=1").parse().unwrap();
        let (got, rest) = strip_token(&uri).unwrap().unwrap();
        assert_eq!(got, id);
        assert_eq!(rest, "/products/boots?x=1");
        let h2: Uri = format!("https://shop.example/c/{id}/cart").parse().unwrap();
        let (_, rest) = strip_token(&h2).unwrap().unwrap();
        assert_eq!(rest, "https://shop.example/cart");
        let (_, root) = strip_token(&format!("/c/{id}").parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(root, "/");
        assert!(
            strip_token(&"/c/nope/cart".parse().unwrap())
                .unwrap()
                .is_err()
        );
        assert!(strip_token(&"/products".parse().unwrap()).is_none());
    }

    #[test]
    fn the_cookie_is_only_the_id_and_locked_down() {
        let id = CartId::random();
        let c = cookie(id, 2_592_000);
        let mut parts: Vec<&str> = c.to_str().unwrap().split("; ").collect();
        parts.sort_unstable();
        let value = format!("cart={id}");
        let mut expected = vec![
            value.as_str(),
            "HttpOnly",
            "Max-Age=2592000",
            "Path=/",
            "SameSite=Lax",
            "Secure",
        ];
        expected.sort_unstable();
        assert_eq!(parts, expected);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; cart={id}")).unwrap(),
        );
        assert_eq!(cookie_cart(&headers), Some(id));
    }
}
