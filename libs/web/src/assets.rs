//! Static assets a service serves itself.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A stylesheet answer: `text/css`, cacheable for an hour.
pub fn stylesheet(css: &'static str) -> Response {
    let mut r = css.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// A route that serves an API's OpenAPI document, serialised once when the router is
/// built (not on every request).
#[cfg(feature = "utoipa")]
pub fn openapi_document<S: Clone + Send + Sync + 'static>(
    document: &utoipa::openapi::OpenApi,
) -> axum::routing::MethodRouter<S> {
    let body: Result<axum::body::Bytes, std::sync::Arc<serde_json::Error>> =
        serde_json::to_vec(document)
            .map(axum::body::Bytes::from)
            .map_err(std::sync::Arc::new);
    axum::routing::get(move || {
        let body = body.clone();
        async move {
            match body {
                Ok(bytes) => (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    bytes,
                )
                    .into_response(),
                Err(e) => crate::WebError::internal(ArcError(e)).into_response(),
            }
        }
    })
}

/// A shared serialisation error, as a cause for the log.
#[cfg(feature = "utoipa")]
#[derive(Debug, thiserror::Error)]
#[error("the OpenAPI document does not serialise")]
struct ArcError(#[source] std::sync::Arc<serde_json::Error>);
