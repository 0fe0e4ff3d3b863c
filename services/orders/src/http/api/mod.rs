//! The JSON API, one module per resource.

mod children;
mod consent;
mod keys;
mod orders;
mod payments;
mod privacy;
mod quotes;

use axum::Router;
use platform_orders_api::{ErrorCode, TenantId};

use crate::app::Orders;
use crate::error::OrdersError;

/// Every API route.
pub fn router() -> Router<Orders> {
    quotes::router()
        .merge(orders::router())
        .merge(payments::router())
        .merge(keys::router())
        .merge(privacy::router())
        .merge(consent::router())
        .merge(children::router())
}

/// The shop named in the path.
fn tenant(text: &str) -> Result<TenantId, OrdersError> {
    text.parse()
        .map_err(|_| OrdersError::refused(ErrorCode::MalformedId, "The shop id is malformed."))
}
