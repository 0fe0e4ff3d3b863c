//! The HTTP adapters: the shop's pages and its JSON API, and the layers around them
//! (visit, page cache, conditional requests, access log).

pub mod api;
pub mod conditional;
pub mod error_page;
pub mod links;
pub mod page_cache;
pub mod pages;
pub mod shop;
pub mod visit;

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::sync::Arc;

use platform_web::{Readiness, ReadinessCheck, service_router_with_pages, truncate_ip};

use crate::AppState;

/// Access log with truncated client addresses (O5).
async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let network = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| truncate_ip(c.0.ip()).to_string())
        .unwrap_or_default();
    let response = next.run(request).await;
    tracing::info!(
        target: "access",
        %method,
        route,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        client_network = network,
        "request"
    );
    response
}

/// Any address no route of the shop answers.
async fn no_such_page() -> platform_web::WebError {
    platform_web::WebError::not_found("route.not_found", "There is no page at this address.")
}

/// The application.
pub fn router(state: AppState) -> Router {
    let db = state.db.clone();
    let readiness = Readiness::new().with(ReadinessCheck::new("postgres", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    }));
    let app = pages::router()
        .merge(api::router())
        // An address that is no page of the shop: answered inside the layers below, so
        // the visitor sees the shop's own layout and a way back, not a bare page.
        .route("/{*rest}", axum::routing::any(no_such_page))
        // Inner: tags fresh pages with an ETag (and answers 304 on a miss); outer: the
        // page cache, which keeps the tag with the page and answers 304 itself on a hit.
        .layer(middleware::from_fn(conditional::conditional))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::page_cache,
        ))
        // Errors of a known shop are shown in its layout.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error_page::frame_errors,
        ))
        // No card number ever reaches a handler, a log or a store (O3).
        .layer(middleware::from_fn(platform_web::refuse_card_numbers))
        // Anyone may post a shop's cart forms: a budget per client network.
        .route_layer(middleware::from_fn_with_state(
            state.posts.clone(),
            platform_web::limit_unsafe,
        ))
        .route_layer(middleware::from_fn(access_log))
        .with_state(state.clone());
    // The visit middleware wraps the whole router so that it runs before routing: it
    // takes a cookie-less visitor's cart token off the path.
    let inner = service_router_with_pages(app, readiness, Arc::new(error_page::ShopErrorPage));
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(state, visit::visit))
            .service(inner),
    )
}
