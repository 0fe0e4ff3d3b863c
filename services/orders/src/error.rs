//! The orders service's one error type and its status table.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform_orders_api::ErrorCode;
use platform_web::WebError;

use crate::processor::ProcessorError;

/// Seconds a caller should wait before retrying while the database is away.
pub const RETRY_AFTER_SECS: u32 = 2;

/// A refused input: its code and a message for the buyer or merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: ErrorCode,
    /// Public message.
    pub message: String,
    /// The request field it is about, when it is about one (`email`, `until`).
    pub field: Option<&'static str>,
}

impl Refusal {
    /// A refusal with its code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            field: None,
        }
    }
}

/// Everything an orders request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// Bad input: a malformed id, header or body (400 or 422 by code).
    #[error("refused: {}", .0.code.as_str())]
    Refused(Refusal),
    /// The idempotency key was used with another body (422).
    #[error("idempotency key reused")]
    KeyReused,
    /// A request with the same key is still running (409).
    #[error("request in flight")]
    InFlight,
    /// Not enough stock for a line (409).
    #[error("insufficient stock")]
    InsufficientStock {
        /// The product's title.
        title: String,
        /// Units left.
        available: i32,
    },
    /// The total is not the one the buyer reviewed (409).
    #[error("totals changed")]
    TotalsChanged,
    /// No such order (404).
    #[error("not found")]
    NotFound,
    /// The order cannot be cancelled any more (409).
    #[error("not cancellable")]
    NotCancellable(platform_domain::OrderStatus),
    /// No payment processor is configured (503).
    #[error("payments are not configured")]
    PaymentsOff,
    /// The payment processor could not be reached (503), refused the request or answered
    /// something that did not verify (502).
    #[error("payment processor")]
    Processor(#[from] crate::processor::ProcessorError),
    /// No carrier is configured (503).
    #[error("no carrier configured")]
    CarrierOff,
    /// The carrier could not be reached (503) or refused the shipment (502).
    #[error("carrier")]
    Carrier(#[from] crate::carrier::CarrierError),
    /// A webhook did not verify (401).
    #[error("webhook refused")]
    Webhook(#[source] crate::processor::ProcessorError),
    /// Postgres is unreachable or timed out (503 with Retry-After).
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Postgres or the tenancy layer failed otherwise (500).
    #[error("database")]
    Database(#[source] platform_tenancy::TenancyError),
    /// Encryption failed (500).
    #[error("vault")]
    Vault(#[source] platform_vault::VaultError),
    /// A stored document could not be (de)serialised (500).
    #[error("encoding")]
    Json(#[from] serde_json::Error),
}

impl OrdersError {
    /// A refused input.
    pub fn refused(code: ErrorCode, message: impl Into<String>) -> Self {
        OrdersError::Refused(Refusal::new(code, message))
    }

    /// A refused input about the request field `field` (named as the request names it).
    pub fn refused_at(code: ErrorCode, field: &'static str, message: impl Into<String>) -> Self {
        OrdersError::Refused(Refusal {
            field: Some(field),
            ..Refusal::new(code, message)
        })
    }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
    )
}

impl From<sqlx::Error> for OrdersError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            OrdersError::Unavailable(e)
        } else {
            OrdersError::Database(platform_tenancy::TenancyError::Database(e))
        }
    }
}

impl From<platform_tenancy::TenancyError> for OrdersError {
    fn from(e: platform_tenancy::TenancyError) -> Self {
        match e {
            platform_tenancy::TenancyError::Database(e) => e.into(),
            other => OrdersError::Database(other),
        }
    }
}

impl From<platform_vault::VaultError> for OrdersError {
    fn from(e: platform_vault::VaultError) -> Self {
        match e {
            platform_vault::VaultError::Store(e) => e.into(),
            other => OrdersError::Vault(other),
        }
    }
}

impl From<OrdersError> for WebError {
    fn from(e: OrdersError) -> WebError {
        match e {
            OrdersError::Refused(r) => match r.code {
                ErrorCode::MalformedId
                | ErrorCode::IdempotencyKeyMissing
                | ErrorCode::IdempotencyKeyInvalid => {
                    WebError::bad_request(r.code.as_str(), r.message)
                }
                ErrorCode::RequestNotFound | ErrorCode::LinkInvalid | ErrorCode::NotFound => {
                    WebError::not_found(r.code.as_str(), r.message)
                }
                ErrorCode::RequestState | ErrorCode::ShopClosing => {
                    WebError::conflict(r.code.as_str(), r.message)
                }
                _ => WebError::unprocessable(r.code.as_str(), r.message),
            }
            .with_field(r.field),
            OrdersError::KeyReused => WebError::unprocessable(
                ErrorCode::IdempotencyKeyReused.as_str(),
                "This idempotency key was used for a different request.",
            ),
            OrdersError::InFlight => WebError::conflict(
                ErrorCode::RequestInFlight.as_str(),
                "This order is still being placed; ask again in a moment with the same key.",
            )
            .with_retry_after(1),
            OrdersError::InsufficientStock { title, available } => WebError::conflict(
                ErrorCode::InsufficientStock.as_str(),
                format!("Only {available} of “{title}” left in stock."),
            ),
            OrdersError::TotalsChanged => WebError::conflict(
                ErrorCode::TotalsChanged.as_str(),
                "Prices, stock or shipping changed since the order was reviewed; please review it again.",
            ),
            OrdersError::NotCancellable(status) => WebError::conflict(
                ErrorCode::NotCancellable.as_str(),
                format!(
                    "This order is {status}; only unpaid orders can be cancelled (paid ones are refunded)."
                ),
            ),
            OrdersError::NotFound => {
                WebError::not_found(ErrorCode::NotFound.as_str(), "There is no such order.")
            }
            OrdersError::PaymentsOff => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::PaymentsUnavailable.as_str(),
                "Payments are not available in this shop right now.",
            ),
            OrdersError::Processor(ProcessorError::Unreachable(why)) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::PaymentsUnavailable.as_str(),
                "The payment processor cannot be reached right now. Please try again shortly.",
            )
            .with_retry_after(RETRY_AFTER_SECS)
            .with_cause(ProcessorError::Unreachable(why)),
            OrdersError::Processor(ProcessorError::Refused { status, code }) => WebError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProcessorRefused.as_str(),
                format!("The payment processor refused the request ({code}, status {status})."),
            ),
            OrdersError::Processor(ProcessorError::Untrusted(why)) => WebError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::ProcessorRefused.as_str(),
                "The payment processor's answer could not be verified.",
            )
            .with_cause(ProcessorError::Untrusted(why)),
            OrdersError::CarrierOff => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::CarrierUnavailable.as_str(),
                "No carrier is connected: type the carrier and tracking number instead.",
            ),
            OrdersError::Carrier(crate::carrier::CarrierError::Unreachable(why)) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::CarrierUnavailable.as_str(),
                "The carrier cannot be reached right now. Try again shortly, or type the tracking number.",
            )
            .with_cause(crate::carrier::CarrierError::Unreachable(why)),
            OrdersError::Carrier(crate::carrier::CarrierError::Refused(code)) => WebError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::CarrierRefused.as_str(),
                format!("The carrier refused the shipment ({code})."),
            ),
            OrdersError::Webhook(cause) => WebError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::WebhookRefused.as_str(),
                match &cause {
                    ProcessorError::Untrusted(code) => {
                        format!("The webhook did not verify ({code}).")
                    }
                    _ => "The webhook did not verify.".to_owned(),
                },
            ),
            OrdersError::Unavailable(cause) => WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable.as_str(),
                "Orders are unavailable for a moment. Please try again shortly.",
            )
            .with_retry_after(RETRY_AFTER_SECS)
            .with_cause(cause),
            other => WebError::internal(other),
        }
    }
}

impl IntoResponse for OrdersError {
    fn into_response(self) -> Response {
        WebError::from(self).into_response()
    }
}
