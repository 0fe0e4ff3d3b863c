//! The middleware stack every service runs behind.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::health::{Readiness, healthz, readyz};
use crate::{WebError, render_errors};

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id of the current request (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// How long a request may take before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Content security policy for server-rendered pages: our own origin only, no inline
/// script, no framing (`frame-ancestors 'none'`), forms post only to ourselves.
const CSP: &str = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; \
                   script-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// An incoming id is kept (a caller service propagating its own) only when it is short
/// and plain; anything else is replaced, so ids cannot smuggle text into logs.
fn acceptable_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

async fn request_id(mut request: Request, next: Next) -> Response {
    let incoming = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable_id(id))
        .map(str::to_owned);
    let id = incoming.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request
            .headers_mut()
            .insert(REQUEST_ID_HEADER, value.clone());
        request.extensions_mut().insert(RequestId(id));
        let mut response = next.run(request).await;
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
        response
    } else {
        next.run(request).await
    }
}

async fn not_found() -> WebError {
    WebError::not_found("not_found", "There is nothing here.")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload may hold data; it is not logged. The backtrace hook has printed it
    // to stderr already, which the redacting logger does not own, so services run with
    // panic=abort-free code and this stays a last resort.
    tracing::error!("request handler panicked");
    WebError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side. Please try again.",
    )
    .into_response()
}

fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Wraps a service's routes with health endpoints, the 404 fallback and every shared
/// layer. Services add their own state before calling this.
pub fn service_router(app: Router, readiness: Readiness) -> Router {
    let health = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(readiness);
    app.merge(health).fallback(not_found).layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(request_id))
            .layer(
                TraceLayer::new_for_http().make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    let id = request
                        .headers()
                        .get(REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %request.method(), route, request_id = id)
                }),
            )
            .layer(header(
                header::STRICT_TRANSPORT_SECURITY,
                "max-age=63072000; includeSubDomains",
            ))
            .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
            .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header(header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
            .layer(header(header::X_FRAME_OPTIONS, "DENY"))
            .layer(header(
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ))
            .layer(header(
                HeaderName::from_static("permissions-policy"),
                "camera=(), microphone=(), geolocation=(), payment=()",
            ))
            .layer(middleware::from_fn(render_errors))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::acceptable_id;

    #[test]
    fn request_ids_are_plain() {
        assert!(acceptable_id("3f2a8c1e-1234-4567-8901-abcdef123456"));
        assert!(!acceptable_id("short"));
        assert!(!acceptable_id("ada@example.com was here"));
        assert!(!acceptable_id(&"a".repeat(65)));
    }
}
