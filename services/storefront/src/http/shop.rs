//! The shop of a request, from its `Host` (or HTTP/2 authority) and nothing else.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use platform_domain::ShopStatus;
use platform_web::WebError;

use crate::AppState;
use crate::db::shops::Shop;

/// The host of a request without port, lowercased: the target's authority when it has
/// one (an absolute-form target, HTTP/2's `:authority`), else the `Host` header. The
/// shared layers have refused requests where the two differ or `Host` is repeated.
pub(crate) fn request_host(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Option<String> {
    let raw = match uri.authority() {
        Some(authority) => authority.as_str(),
        None => headers.get(header::HOST).and_then(|h| h.to_str().ok())?,
    };
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
        match state
            .hosts
            .resolve(&host)
            .await
            .map_err(WebError::internal)?
        {
            None => Err(WebError::not_found("not_found", "There is nothing here.")),
            Some(shop) if shop.status == ShopStatus::Suspended => Err(WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shop.unavailable",
                "This shop is temporarily unavailable. Please come back later.",
            )
            .with_retry_after(3600)),
            Some(shop) => Ok(shop),
        }
    }
}
