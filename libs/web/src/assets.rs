//! Static assets a service serves itself.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet both staff consoles share (the merchant's and the platform's): one
/// look, kept once.
pub const CONSOLE_CSS: &str = include_str!("console.css");

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
///
/// Every operation also documents the `400` the shared input layer answers for any route
/// (a control character in the address or body, an ambiguous host), unless it documents
/// its own: clients and schema-driven fuzzers see every status they can get.
pub fn openapi_document<S: Clone + Send + Sync + 'static>(
    document: &utoipa::openapi::OpenApi,
) -> axum::routing::MethodRouter<S> {
    let mut document = document.clone();
    document_shared_refusals(&mut document);
    let body: Result<axum::body::Bytes, std::sync::Arc<serde_json::Error>> =
        serde_json::to_vec(&document)
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

/// Adds the shared layers' refusals (with the `ErrorBody` schema) to every operation:
/// `400` everywhere, and `413`, `415` and `422` where the operation takes a body.
#[cfg(feature = "utoipa")]
fn document_shared_refusals(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let refusal = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    let bad_request = refusal(
        "Refused before reaching the route: a control character in the address or body \
         (`request.control_character`), an ambiguous or unknown host, or malformed input \
         (each with its own code).",
    );
    let too_large = refusal("The body is larger than this operation takes.");
    let media_type = refusal("The body is not of the media type this operation takes.");
    let wrong_shape = refusal(
        "The body does not have the expected fields and types (`request.invalid_json`, \
         `request.invalid_form`), or a value is not allowed (the operation's own code).",
    );
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let takes_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            responses
                .entry("400".to_owned())
                .or_insert_with(|| bad_request.clone());
            if takes_body {
                responses
                    .entry("413".to_owned())
                    .or_insert_with(|| too_large.clone());
                responses
                    .entry("415".to_owned())
                    .or_insert_with(|| media_type.clone());
                responses
                    .entry("422".to_owned())
                    .or_insert_with(|| wrong_shape.clone());
            }
        }
    }
}
