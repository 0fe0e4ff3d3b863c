//! The catalog as JSON under `/api/v1`, for headless shops.

pub mod catalog;

use axum::Router;

use crate::AppState;

/// Every API route.
pub fn router() -> Router<AppState> {
    catalog::router()
}
