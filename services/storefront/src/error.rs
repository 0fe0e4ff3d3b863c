//! The storefront's one error type: everything a handler can fail with, turned into an
//! answer in one place. Database and serialisation failures become opaque 500s (cause
//! logged by `WebError`); everything else is already a coded `WebError`.

use axum::response::{IntoResponse, Response};
use platform_web::WebError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// A coded answer (404, 400, 503, …).
    #[error("{0}")]
    Web(WebError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The tenancy layer failed.
    #[error("tenancy: {0}")]
    Tenancy(#[from] platform_tenancy::TenancyError),
    /// A JSON answer could not be built.
    #[error("serialisation: {0}")]
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
            other => WebError::internal(other).into_response(),
        }
    }
}
