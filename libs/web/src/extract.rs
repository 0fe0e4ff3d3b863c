//! Extractors whose rejections are [`WebError`]s, so malformed input gets the same
//! coded 4xx answers as everything else (axum's own rejections are plain text).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::WebError;
use crate::layers::has_control_character;

/// A JSON body (`Content-Type: application/json`), or a coded 400/415/422.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

fn control_character() -> WebError {
    WebError::unprocessable(
        "request.control_character",
        "A text holds a control character (such as NUL) that is not allowed.",
    )
}

fn json_has_control(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => has_control_character(s),
        Value::Array(items) => items.iter().any(json_has_control),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| has_control_character(k) || json_has_control(v)),
        _ => false,
    }
}

/// The public message for a body of the wrong shape: the missing or unknown field when
/// serde names one, never a Rust type.
fn shape_message(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    for lead in ["missing field", "unknown field", "duplicate field"] {
        if let Some(start) = text.find(lead) {
            let field = &text[start..];
            let end = field.find(',').unwrap_or(field.len());
            return format!("The body has a {}.", &field[..end]);
        }
    }
    "The body does not have the expected fields and types.".to_owned()
}

/// The coded 422 for a JSON document of the wrong shape, for handlers that take a
/// [`JsonBody`] of `serde_json::Value` and deserialise it themselves.
pub fn json_shape_error(e: &serde_json::Error) -> WebError {
    WebError::unprocessable("request.invalid_json", shape_message(e))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(WebError::from)?;
        if json_has_control(&value) {
            return Err(control_character());
        }
        serde_json::from_value(value)
            .map(JsonBody)
            .map_err(|e| json_shape_error(&e))
    }
}

/// A urlencoded form body, or a coded 4xx.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(WebError::from)?;
        if pairs
            .iter()
            .any(|(k, v)| has_control_character(k) || has_control_character(v))
        {
            return Err(control_character());
        }
        let encoded = serde_urlencoded::to_string(&pairs)
            .map_err(|e| WebError::unprocessable("request.invalid_form", shape_message(&e)))?;
        serde_urlencoded::from_str(&encoded)
            .map(FormBody)
            .map_err(|e| WebError::unprocessable("request.invalid_form", shape_message(&e)))
    }
}

/// Path parameters; a malformed one (a bad id) is a 404, like any page that is not there.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| PathParams(v))
            .map_err(WebError::from)
    }
}

/// Query parameters, or a coded 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| QueryParams(v))
            .map_err(WebError::from)
    }
}

/// The peer address of the connection (unspecified when served without connect info,
/// as in tests that call the router directly). Never logged as such: see
/// [`crate::truncate_ip`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

/// The network of an address as logs may keep it (O5): IPv4 /24, IPv6 /48.
pub fn truncate_ip(ip: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return truncate_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], 0, 0, 0, 0, 0])
        }
    }
}
