//! The one error type every service answers with.
//!
//! A [`WebError`] has an HTTP status, a stable machine-readable code (`"cart.line_limit"`)
//! and a public message. Its cause, if any, is logged (whole chain) for 5xx answers and
//! never sent to the client. The [`render_errors`] middleware turns it into JSON or HTML
//! according to the request's `Accept` header, adding the request id either way.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Request, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// An error answer: status, stable code, public message, private cause.
#[derive(Debug)]
pub struct WebError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    field: Option<&'static str>,
    retry_after: Option<u32>,
    cause: Option<Cause>,
}

/// What [`render_errors`] needs to render an error, carried as a response extension.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorInfo {
    /// Stable code.
    pub code: &'static str,
    /// Public message.
    pub message: Cow<'static, str>,
    /// The request field it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl WebError {
    /// An error with any status and code.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        WebError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            cause: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: nothing here (also what another tenant's ids answer: nothing to reveal).
    pub fn not_found(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409: conflicts with the current state.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: well-formed but invalid.
    pub fn unprocessable(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 503 with `Retry-After`: a dependency is down; try again later.
    pub fn unavailable(
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
        retry_after_secs: u32,
    ) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 500 with an opaque body; `cause` is logged with its whole chain.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Please try again.",
        );
        e.cause = Some(cause.into());
        e
    }

    /// Adds a `Retry-After` header (seconds).
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Names the request field the error is about (`email`, `until`), so a form can put
    /// the message beside it.
    pub fn with_field(mut self, field: Option<&'static str>) -> Self {
        self.field = field;
        self
    }

    /// Attaches a private cause (logged, never sent).
    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The public message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The request field it is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code, self.status)
    }
}

fn cause_chain(cause: &(dyn StdError + 'static)) -> String {
    let mut out = cause.to_string();
    let mut next = cause.source();
    while let Some(c) = next {
        let _ = write!(out, ": {c}");
        next = c.source();
    }
    out
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(code = self.code, cause = %cause_chain(cause.as_ref()), "request failed")
                }
                None => tracing::warn!(
                    code = self.code,
                    status = self.status.as_u16(),
                    "request refused"
                ),
            }
        } else if let Some(cause) = &self.cause {
            tracing::debug!(code = self.code, cause = %cause_chain(cause.as_ref()), "client error");
        }
        let info = ErrorInfo {
            code: self.code,
            message: self.message,
            field: self.field,
        };
        let mut response = (self.status, json_body(&info, None)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(info);
        response
    }
}

/// The JSON body of every error answer, as API documents describe it.
#[cfg(feature = "utoipa")]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error of an [`ErrorBody`].
#[cfg(feature = "utoipa")]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`"cart.line_limit"`).
    pub code: String,
    /// Public message.
    pub message: String,
    /// The request field it is about, when it is about one (`email`, `until`).
    pub field: Option<String>,
    /// The request id, for support.
    pub request_id: Option<String>,
}

fn json_body(info: &ErrorInfo, request_id: Option<&str>) -> axum::Json<serde_json::Value> {
    let mut error = serde_json::json!({
        "code": info.code,
        "message": info.message,
        "request_id": request_id,
    });
    if let Some(field) = info.field {
        error["field"] = field.into();
    }
    axum::Json(serde_json::json!({ "error": error }))
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An error as a page shows it.
#[derive(Debug)]
pub struct ErrorView<'a> {
    /// The answer's status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Public message (not yet escaped).
    pub message: &'a str,
    /// The request id, for support.
    pub request_id: Option<&'a str>,
    /// The response's extensions: where a service leaves what its page needs (the shop
    /// of the request, say).
    pub extensions: &'a Extensions,
}

impl ErrorView<'_> {
    /// A title for people ("Not Found").
    pub fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }
}

/// How a service shows an error to a browser: in its own layout. The one hook through
/// which every HTML error page of a service is rendered.
pub trait ErrorPage: Send + Sync + 'static {
    /// The whole HTML document for `error`.
    fn render(&self, error: &ErrorView<'_>) -> String;
}

/// A bare page, for services without pages of their own (and as a fallback).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainErrorPage;

impl ErrorPage for PlainErrorPage {
    fn render(&self, error: &ErrorView<'_>) -> String {
        html_page(error.status, error.message, error.request_id)
    }
}

fn html_page(status: StatusCode, message: &str, request_id: Option<&str>) -> String {
    let title = escape_html(status.canonical_reason().unwrap_or("Error"));
    let message = escape_html(message);
    let reference = request_id
        .map(|id| {
            format!(
                "<p class=\"ref\">Reference: <code>{}</code></p>",
                escape_html(id)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\
         <body><main><h1>{title}</h1><p>{message}</p>{reference}</main></body></html>\n"
    )
}

/// True when the client prefers HTML (a browser) over JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let html = accept.find("text/html");
    let json = accept.find("application/json");
    match (html, json) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Middleware: renders error responses as JSON or, for browsers (by `Accept`), as a page
/// of the service's [`ErrorPage`], with the request id either way.
pub async fn render_errors(
    State(page): State<Arc<dyn ErrorPage>>,
    request: Request,
    next: Next,
) -> Response {
    let html = wants_html(request.headers());
    let request_id = request
        .headers()
        .get(crate::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let Some(info) = response.extensions_mut().remove::<ErrorInfo>() else {
        return response;
    };
    let status = response.status();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if html {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let view = ErrorView {
            status,
            code: info.code,
            message: &info.message,
            request_id: request_id.as_deref(),
            extensions: &parts.extensions,
        };
        let body = page.render(&view);
        Response::from_parts(parts, body.into())
    } else {
        let body = json_body(&info, request_id.as_deref())
            .into_response()
            .into_body();
        Response::from_parts(parts, body)
    }
}

impl From<JsonRejection> for WebError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "request.unsupported_media_type"
        } else {
            "request.invalid_json"
        };
        WebError::new(status, code, rejection.body_text())
    }
}

impl From<FormRejection> for WebError {
    fn from(rejection: FormRejection) -> Self {
        WebError::new(
            rejection.status(),
            "request.invalid_form",
            rejection.body_text(),
        )
    }
}

impl From<QueryRejection> for WebError {
    fn from(rejection: QueryRejection) -> Self {
        WebError::bad_request("request.invalid_query", rejection.body_text())
    }
}

impl From<PathRejection> for WebError {
    fn from(_: PathRejection) -> Self {
        // A malformed id in a path is just a page that does not exist.
        WebError::not_found("not_found", "There is nothing here.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_accept_is_honoured() {
        let info = ErrorInfo {
            code: "x",
            message: "<script>alert(1)</script>".into(),
            field: None,
        };
        let page = html_page(StatusCode::NOT_FOUND, &info.message, Some("r\"1"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;") && page.contains("r&quot;1"));
        let mut h = HeaderMap::new();
        assert!(!wants_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*"),
        );
        assert!(wants_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/html"),
        );
        assert!(!wants_html(&h));
    }

    #[test]
    fn causes_are_chained_for_logs() {
        let io = std::io::Error::other("disk on fire");
        assert_eq!(cause_chain(&io), "disk on fire");
    }
}
