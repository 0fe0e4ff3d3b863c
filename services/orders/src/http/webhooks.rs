//! The public webhook listener: HTTPS without client certificates (the processor holds
//! no certificate of the platform's CA), one route. The raw body is kept as received and
//! verified against the processor's signature before anything is read from it.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::app::Orders;
use crate::error::OrdersError;

/// Where the processor posts events.
pub const PATH: &str = "/v1/processor/webhooks";

/// The largest webhook body read.
const BODY_LIMIT: usize = 64 * 1024;

/// The listener's routes; `public_url` is the full address the processor signs for.
pub fn router(orders: Orders, public_url: http::Uri) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .with_state((orders, public_url))
        .layer(axum::middleware::from_fn(platform_web::refuse_card_numbers))
}

#[tracing::instrument(skip_all)]
async fn receive(
    State((orders, public_url)): State<(Orders, http::Uri)>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut rebuilt = http::Request::new(body);
    *rebuilt.method_mut() = parts.method;
    *rebuilt.uri_mut() = public_url;
    *rebuilt.headers_mut() = parts.headers;
    match orders.receive_webhook(rebuilt).await {
        Ok(delivery) => {
            tracing::info!(?delivery, "webhook");
            (
                StatusCode::OK,
                axum::Json(serde_json::json!({ "received": true })),
            )
                .into_response()
        }
        Err(e @ OrdersError::Webhook(_)) => {
            tracing::warn!(error = &e as &dyn std::error::Error, "webhook refused");
            e.into_response()
        }
        Err(e) => e.into_response(),
    }
}
