//! The HTTP adapter: routes to use cases, plus health and the shared web layers.

pub mod api;
pub mod webhooks;

use std::sync::Arc;

use axum::{Router, middleware};
use platform_web::{Readiness, ReadinessCheck, allow_callers, service_router};

use crate::app::Orders;

/// The whole application: routes, state and the shared web layers. Only the services
/// named in `callers` (by their client certificates) reach the API; health and
/// readiness answer any certificate of the platform CA.
pub fn router(orders: Orders, callers: Arc<[String]>) -> Router {
    let db = orders.db().clone();
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    }));
    let api = api::router()
        .with_state(orders)
        .layer(middleware::from_fn(platform_web::refuse_card_numbers))
        .layer(middleware::from_fn_with_state(callers, allow_callers));
    service_router(api, readiness)
}
