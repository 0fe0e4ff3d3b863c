//! The storefront's one error type: everything a handler can fail with, turned into an
//! answer in one place. Database and serialisation failures become opaque 500s (cause
//! logged by `WebError`); a cart outage a 503 with `Retry-After`; a cart refusal keeps the
//! cart's status and code; everything else is already a coded `WebError`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform_cart_api::CartCallError;
use platform_orders_api::OrdersCallError;
use platform_web::WebError;

/// Seconds a visitor is asked to wait when the cart is away.
pub const CART_RETRY_AFTER_SECS: u32 = 5;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// A coded answer (404, 400, 503, …).
    #[error("{0}")]
    Web(WebError),
    /// The cart service failed or refused.
    #[error("cart")]
    Cart(#[from] CartCallError),
    /// The orders service failed or refused.
    #[error("orders")]
    Orders(#[from] OrdersCallError),
    /// The database failed.
    #[error("database")]
    Database(#[from] sqlx::Error),
    /// The tenancy layer failed.
    #[error("tenancy")]
    Tenancy(#[from] platform_tenancy::TenancyError),
    /// The picture store failed.
    #[error("object store")]
    Objects(#[from] platform_images::ObjectsError),
    /// A JSON answer could not be built.
    #[error("serialisation")]
    Json(#[from] serde_json::Error),
}

impl From<WebError> for ShopError {
    fn from(e: WebError) -> Self {
        ShopError::Web(e)
    }
}

impl IntoResponse for ShopError {
    fn into_response(self) -> Response {
        match self {
            ShopError::Web(e) => e.into_response(),
            ShopError::Cart(CartCallError::Refused {
                status,
                code,
                message,
            }) => WebError::new(
                StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_REQUEST),
                code.as_str(),
                message,
            )
            .into_response(),
            ShopError::Cart(unavailable) => WebError::unavailable(
                "cart.unavailable",
                "Your cart is unavailable for a moment. Your items are safe; please try again in a few seconds.",
                CART_RETRY_AFTER_SECS,
            )
            .with_cause(unavailable)
            .into_response(),
            ShopError::Orders(OrdersCallError::Refused {
                status,
                code,
                message,
                ..
            }) => WebError::new(
                StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_REQUEST),
                code.as_str(),
                message,
            )
            .into_response(),
            ShopError::Orders(unavailable) => WebError::unavailable(
                "orders.unavailable",
                "Checkout is unavailable for a moment. Your cart is safe; please try again in a few seconds.",
                CART_RETRY_AFTER_SECS,
            )
            .with_cause(unavailable)
            .into_response(),
            ShopError::Objects(e) => WebError::unavailable(
                "images.unavailable",
                "This picture is unavailable for a moment.",
                CART_RETRY_AFTER_SECS,
            )
            .with_cause(e)
            .into_response(),
            other => WebError::internal(other).into_response(),
        }
    }
}
