//! The JSON API under `/api/v1`, one module per resource; `/api/v1/openapi.json` is
//! generated from the handlers (utoipa), so router and document cannot drift apart.

mod break_glass;
mod disclosures;
mod grants;
mod metrics;
mod orders;
mod review;
mod session;
mod staff;

use axum::Router;
use platform_web::ErrorBody;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// Paging of order lists.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// Orders numbered below this.
    pub before: Option<i64>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Platform access-control API",
        version = "1.0.0",
        description = "The processor's staff console as JSON, over mutual TLS with a certificate of the platform staff CA. Log in with POST /api/v1/login (login, password and TOTP code): it sets the session cookie, bound to the certificate, and answers the CSRF token every unsafe request carries in x-csrf-token. A shop's orders are readable only under a grant its owners approved, masked outside the granted classes, and every read is written to the shop's audit log."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Every API route and the document that describes exactly them.
pub fn routes() -> (Router<AppState>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(grants::router())
        .merge(break_glass::router())
        .merge(disclosures::router())
        .merge(metrics::router())
        .merge(review::router())
        .merge(orders::router())
        .merge(staff::router())
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
