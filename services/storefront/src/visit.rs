//! Who is visiting, cart-wise, and the per-visitor touches on otherwise shared pages.
//!
//! A visitor's cart is named by the `cart` cookie (a random 128-bit id and nothing else,
//! `HttpOnly; Secure; SameSite=Lax`, O4) or, when the browser refuses cookies, by a token
//! in the URL path: `/c/<id>/products/…`. This middleware runs before routing: it takes
//! the token off the path (so every route and the page cache see the plain path) and
//! records the [`Visit`]. On the way out it fills in what differs per visitor in a
//! page that may come from the shared page cache: the mini-cart count, and for
//! token visitors the token in every link and form (plus `Referrer-Policy: no-referrer`,
//! so the token never leaves in a Referer header).

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cart::api::Mode;
use cart::domain::CartId;
use maud::html;

use crate::AppState;
use crate::cart_client::CartCallError;

/// Placeholder for the mini-cart in every page's header.
pub const MINICART_MARKER: &str = "<!--minicart-->";
/// Placeholder inside cart forms for the hidden token field of cookie-less visitors.
pub const TOKEN_FIELD_MARKER: &str = "<!--cart-token-->";
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

/// `Set-Cookie` for a cart kept `ttl` seconds.
pub fn cookie(cart: CartId, ttl: u64) -> HeaderValue {
    let text = format!("{COOKIE}={cart}; Path=/; Max-Age={ttl}; HttpOnly; Secure; SameSite=Lax");
    // Only hex digits and digits go in: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("cart=; Max-Age=0"))
}

fn cookie_cart(headers: &HeaderMap) -> Option<CartId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| CartId::parse(value.trim()).ok())
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
        Some(Err(())) => return StatusCode::NOT_FOUND.into_response(),
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
    let host = crate::hosts::request_host(request.headers(), request.uri());
    request.extensions_mut().insert(visit);
    let response = next.run(request).await;
    personalise(&state, visit, host, response).await
}

/// The mini-cart count a handler already knows (the cart page read the whole cart), so
/// the header does not ask the cart service a second time.
#[derive(Debug, Clone, Copy)]
pub struct KnownSummary(pub cart::api::Summary);

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
            Err(CartCallError::Unavailable(cause)) => {
                tracing::warn!(cause, "mini-cart unavailable");
                unavailable = true;
            }
            Err(CartCallError::Refused { .. }) => {}
        }
    }
    let fragment = html! {
        @if unavailable {
            span.minicart.unavailable role="status" { "Cart unavailable" }
        } @else {
            a.minicart href="/cart" { "Cart (" span.count { (count) } ")" }
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
    let Ok(mut page) = String::from_utf8(bytes.to_vec()) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if page.contains(MINICART_MARKER) {
        let known = parts.extensions.get::<KnownSummary>().copied();
        let (fragment, ttl) = minicart(state, visit, host.as_deref(), known).await;
        page = page.replacen(MINICART_MARKER, &fragment, 1);
        if let (Mode::Cookie, Some(id), true) = (visit.mode, visit.cart, ttl > 0) {
            parts.headers.append(header::SET_COOKIE, cookie(id, ttl));
        }
    }
    match (&token_prefix, visit.cart) {
        (Some(prefix), Some(id)) => {
            page = page
                .replace("href=\"/", &format!("href=\"{prefix}/"))
                .replace("action=\"/", &format!("action=\"{prefix}/"))
                .replace(&format!("=\"{prefix}/assets/"), "=\"/assets/")
                .replace(
                    TOKEN_FIELD_MARKER,
                    &format!("<input type=\"hidden\" name=\"cart_token\" value=\"{id}\">"),
                );
        }
        _ => page = page.replace(TOKEN_FIELD_MARKER, ""),
    }
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
    Response::from_parts(parts, Body::from(page))
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
        assert_eq!(
            c.to_str().unwrap(),
            format!("cart={id}; Path=/; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; cart={id}")).unwrap(),
        );
        assert_eq!(cookie_cart(&headers), Some(id));
    }
}
