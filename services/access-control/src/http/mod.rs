//! The HTTP adapters: the JSON API under `/api/v1` and the console's pages, both thin
//! over the same use cases in `app/`.

pub mod api;
pub mod auth;
pub mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use platform_web::{Readiness, ReadinessCheck, service_router_with_pages};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;

/// The whole application: routes, state and the shared web layers.
pub fn router(state: AppState) -> Router {
    let db = state.db.clone();
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    }));
    let app = api::router()
        .merge(pages::router())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state);
    service_router_with_pages(app, readiness, Arc::new(pages::ConsoleErrorPage))
}
