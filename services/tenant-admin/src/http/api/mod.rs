//! The JSON API under `/api/v1`, one module per resource. `/api/v1/openapi.json` is
//! generated from the handlers and their types (utoipa): every route is registered
//! together with its description, so the router and the document cannot drift apart.

mod access;
mod account;
mod catalog_csv;
mod checkout;
mod collections;
mod images;
mod look;
mod orders;
mod policies;
mod products;
mod session;
mod settings;
mod team;

use axum::Router;
use platform_web::ErrorBody;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shop admin API",
        version = "1.0.0",
        description = "A merchant's console as JSON. Log in with POST /api/v1/login: it sets the session cookie and answers the CSRF token, which every unsafe request must carry in the x-csrf-token header. Each route needs the roles it names (owner, billing, support, fulfilment, catalog); order answers are masked to the caller's roles, and every read of personal data is written to the shop's audit log."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Every API route and the document that describes exactly them.
pub fn routes() -> (Router<AppState>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(products::router())
        .merge(images::router())
        .merge(collections::router())
        .merge(settings::router())
        .merge(look::router())
        .merge(checkout::router())
        .merge(policies::router())
        .merge(catalog_csv::router())
        .merge(orders::router())
        .merge(team::router())
        .merge(account::router())
        .merge(access::router())
        .split_for_parts()
}

/// Every API route, with `/api/v1/openapi.json` serving their document.
pub fn router() -> Router<AppState> {
    let (router, document) = routes();
    router.route(
        "/api/v1/openapi.json",
        platform_web::openapi_document(&document),
    )
}
