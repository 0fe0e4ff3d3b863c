//! `ETag` and `Cache-Control` on successful GETs; conditional requests answer 304.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};

/// Pages larger than this are sent without an ETag rather than buffered.
const MAX_TAGGED: usize = 2 * 1024 * 1024;

/// Middleware: tags 200 answers to GET/HEAD with a strong ETag of the body and answers
/// a matching `If-None-Match` with 304 and no body.
pub async fn conditional(request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    // A page too large to buffer goes out as it is, without a tag (never a 500).
    let size = axum::body::HttpBody::size_hint(response.body());
    if size.upper().is_none_or(|most| most > MAX_TAGGED as u64) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = format!("\"{}\"", B64.encode(&Sha256::digest(&bytes)[..16]));
    let Ok(etag) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=30"),
        );
    }
    parts.headers.insert(header::ETAG, etag);
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if matches {
        parts.headers.remove(header::CONTENT_LENGTH);
        let mut not_modified = Response::from_parts(parts, Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}
