//! The HTTP adapter: routes to use cases, plus health and the shared web layers.

pub mod api;

use axum::Router;
use platform_web::{Readiness, ReadinessCheck, service_router};

use crate::app::Carts;

/// The whole application: routes, state and the shared web layers.
pub fn router(carts: Carts) -> Router {
    let db = carts.db().clone();
    let store = carts.store().clone();
    let readiness = Readiness::new()
        .with(ReadinessCheck::new("postgres", move || {
            let db = db.clone();
            async move { db.ping().await.map_err(|e| e.to_string()) }
        }))
        .with(ReadinessCheck::new("redis", move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|e| e.to_string()) }
        }));
    service_router(api::router().with_state(carts), readiness)
}
