//! The middleware stack every service runs behind.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::health::{Readiness, healthz, readyz};
use crate::{ErrorPage, PlainErrorPage, WebError, render_errors};

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

/// The page policy, with forms also allowed to go to `origin` (an `https://` origin and
/// nothing else): for the pages whose form ends, through a redirect, on a payment
/// processor's hosted page (browsers apply `form-action` to the redirect too).
pub fn csp_with_form_target(origin: &str) -> Option<HeaderValue> {
    let plain = origin.strip_prefix("https://")?;
    if plain.is_empty()
        || !plain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return None;
    }
    HeaderValue::from_str(&CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
    ))
    .ok()
}

/// An incoming id is kept (a caller service propagating its own) only when it is short
/// and plain; anything else is replaced, so ids cannot smuggle text into logs.
fn acceptable_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// True when `text` holds a control character other than tab, newline or carriage
/// return (NUL above all, which Postgres refuses in text).
pub fn has_control_character(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Refuses, with `400 request.host_invalid`, a request whose target host is ambiguous
/// (RFC 9112 §3.2, RFC 9113 §8.3.1): more than one `Host` header, or a `Host` that differs
/// from the authority of an absolute-form target or of HTTP/2's `:authority`. Whatever
/// resolves a tenant from the host then sees one answer only.
fn ambiguous_host(request: &Request) -> Option<WebError> {
    let hosts: Vec<&HeaderValue> = request.headers().get_all(header::HOST).iter().collect();
    let authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_ascii_lowercase());
    let ambiguous = hosts.len() > 1
        || match (hosts.first(), &authority) {
            (Some(host), Some(authority)) => host
                .to_str()
                .map_or(true, |h| !h.eq_ignore_ascii_case(authority)),
            _ => false,
        };
    ambiguous.then(|| {
        WebError::bad_request(
            "request.host_invalid",
            "The request names more than one host.",
        )
    })
}

/// Refuses, with `400 request.control_character`, a path or query that decodes to a
/// control character, or a query that is not UTF-8, before any handler or cache sees it.
fn control_characters(request: &Request) -> Option<WebError> {
    let uri = request.uri();
    let path_bad = match percent_encoding::percent_decode_str(uri.path()).decode_utf8() {
        Ok(path) => has_control_character(&path),
        Err(_) => true,
    };
    let query_bad =
        uri.query().is_some_and(
            |q| match serde_urlencoded::from_str::<Vec<(String, String)>>(q) {
                Ok(pairs) => pairs
                    .iter()
                    .any(|(k, v)| has_control_character(k) || has_control_character(v)),
                Err(_) => true,
            },
        );
    (path_bad || query_bad).then(|| {
        WebError::bad_request(
            "request.control_character",
            "The address holds a character that is not allowed.",
        )
    })
}

/// Refuses a request that names more than one host (`400 request.host_invalid`) or whose
/// address holds a control character (`400 request.control_character`), in that order,
/// before any handler or cache sees it. One layer for both: every layer moves the
/// request and the inner layers' state once more (docs/benchmarks.md, issue 15).
async fn refuse_malformed(request: Request, next: Next) -> Response {
    match ambiguous_host(&request).or_else(|| control_characters(&request)) {
        Some(refusal) => refusal.into_response(),
        None => next.run(request).await,
    }
}

/// The security headers of every answer, each unless the handler set its own.
static SECURITY_HEADERS: [(HeaderName, &str); 7] = [
    (
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    ),
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

/// Adds [`SECURITY_HEADERS`] in one layer (seven layers moved the inner state seven
/// times).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in &SECURITY_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    response
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

/// No route matched: a code of its own, so that tests (and API documents' drift checks)
/// tell an unknown path from a known route answering 404 for a missing thing.
async fn not_found() -> WebError {
    WebError::not_found("route.not_found", "There is nothing here.")
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

/// Wraps a service's routes with health endpoints, the 404 fallback and every shared
/// layer, with bare HTML error pages. Services add their own state before calling this.
pub fn service_router(app: Router, readiness: Readiness) -> Router {
    service_router_with_pages(app, readiness, Arc::new(PlainErrorPage))
}

/// As [`service_router`], with the service's own HTML error pages.
pub fn service_router_with_pages(
    app: Router,
    readiness: Readiness,
    pages: Arc<dyn ErrorPage>,
) -> Router {
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
            .layer(middleware::map_response(security_headers))
            .layer(middleware::from_fn_with_state(pages, render_errors))
            .layer(middleware::from_fn(refuse_malformed))
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
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn status_of(request: Request<Body>) -> (StatusCode, String) {
        let app = super::service_router(
            axum::Router::new().route("/", axum::routing::get(|| async { "ok" })),
            crate::Readiness::new(),
        );
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn ambiguous_hosts_are_refused_per_rfc_9112_and_9113() {
        let two_hosts = Request::get("/")
            .header("host", "a.shop.localhost")
            .header("host", "b.shop.localhost")
            .body(Body::empty())
            .unwrap();
        let (status, body) = status_of(two_hosts).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("request.host_invalid"), "{body}");
        let absolute = Request::get("https://b.shop.localhost/")
            .header("host", "a.shop.localhost")
            .body(Body::empty())
            .unwrap();
        assert_eq!(status_of(absolute).await.0, StatusCode::BAD_REQUEST);
        let consistent = Request::get("https://a.shop.localhost/")
            .header("host", "a.shop.localhost")
            .body(Body::empty())
            .unwrap();
        assert_eq!(status_of(consistent).await.0, StatusCode::OK);
        let plain = Request::get("/")
            .header("host", "a.shop.localhost")
            .body(Body::empty())
            .unwrap();
        assert_eq!(status_of(plain).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn control_characters_in_addresses_are_refused() {
        for uri in ["/%00", "/?q=%00", "/?q=a%01b", "/%ff"] {
            let request = Request::get(uri).body(Body::empty()).unwrap();
            let (status, body) = status_of(request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert!(body.contains("request.control_character"), "{uri}: {body}");
        }
    }

    #[test]
    fn request_ids_are_plain() {
        assert!(acceptable_id("3f2a8c1e-1234-4567-8901-abcdef123456"));
        assert!(!acceptable_id("short"));
        assert!(!acceptable_id("ada@example.com was here"));
        assert!(!acceptable_id(&"a".repeat(65)));
    }
}
