//! The JSON API, one module per resource.

mod carts;

use axum::Router;

use crate::app::Carts;

/// Every API route.
pub fn router() -> Router<Carts> {
    carts::router()
}
