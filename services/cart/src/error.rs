//! The cart service's one error type and its status table.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform_cart_api::ErrorCode;
use platform_web::WebError;

use crate::app::domain::Invalid;
use crate::store::StoreError;

/// Seconds a caller should wait before retrying while Redis is away.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Everything a cart request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CartError {
    /// Malformed or out-of-range input (400 for ids, 422 otherwise).
    #[error("invalid: {}", .0.code.as_str())]
    Invalid(Invalid),
    /// The cart already has the most lines allowed (422).
    #[error("line limit")]
    LineLimit,
    /// The variant does not exist in this shop or is not on sale (422).
    #[error("variant unavailable")]
    VariantUnavailable,
    /// Not enough stock for the requested quantity (409).
    #[error("insufficient stock")]
    InsufficientStock {
        /// Units in stock.
        available: i32,
    },
    /// No such line in the cart (404).
    #[error("no such line")]
    NoLine,
    /// Redis is unreachable (503 with Retry-After).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Postgres or the tenancy layer failed (500).
    #[error("database")]
    Database(#[from] platform_tenancy::TenancyError),
    /// Encryption failed (500).
    #[error("vault")]
    Vault(#[from] platform_vault::VaultError),
    /// A checkout draft could not be (de)serialised (500).
    #[error("draft encoding")]
    Json(#[from] serde_json::Error),
}

impl From<Invalid> for CartError {
    fn from(i: Invalid) -> Self {
        CartError::Invalid(i)
    }
}

impl From<sqlx::Error> for CartError {
    fn from(e: sqlx::Error) -> Self {
        CartError::Database(platform_tenancy::TenancyError::Database(e))
    }
}

impl From<CartError> for WebError {
    fn from(e: CartError) -> WebError {
        match e {
            CartError::Invalid(i) if i.code == ErrorCode::MalformedId => {
                WebError::bad_request(i.code.as_str(), i.message)
            }
            CartError::Invalid(i) => WebError::unprocessable(i.code.as_str(), i.message),
            CartError::LineLimit => WebError::unprocessable(
                ErrorCode::LineLimit.as_str(),
                "A cart holds at most 100 different items.",
            ),
            CartError::VariantUnavailable => WebError::unprocessable(
                ErrorCode::VariantUnavailable.as_str(),
                "This item is not sold in this shop (any more).",
            ),
            CartError::InsufficientStock { available } => WebError::conflict(
                ErrorCode::InsufficientStock.as_str(),
                format!("Only {available} left in stock."),
            ),
            CartError::NoLine => WebError::not_found(
                ErrorCode::NoSuchLine.as_str(),
                "This item is not in the cart.",
            ),
            CartError::Store(cause) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable.as_str(),
                "Carts are unavailable for a moment. Please try again shortly.",
            )
            .with_retry_after(RETRY_AFTER_SECS)
            .with_cause(cause),
            other => WebError::internal(other),
        }
    }
}

impl IntoResponse for CartError {
    fn into_response(self) -> Response {
        WebError::from(self).into_response()
    }
}
