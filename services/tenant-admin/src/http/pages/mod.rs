//! The merchant console: server-rendered pages that work without JavaScript, one module
//! per resource, each calling the same use cases as the API.

mod access;
mod account;
pub(crate) mod audit;
mod catalog_csv;
mod checkout;
mod closure;
mod collections;
mod home;
mod images;
mod layout;
mod look;
mod newsletter;
pub(crate) mod orders;
mod payments;
mod privacy;
mod products;
mod request_open;
mod requests;
mod retention;
mod session;
mod settings;
mod shop_export;
mod team;
mod variants;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub use layout::ConsoleErrorPage;

use crate::app::AppState;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/admin.css", get(css))
        .merge(session::router())
        .merge(home::router())
        .merge(products::router())
        .merge(images::router())
        .merge(variants::router())
        .merge(collections::router())
        .merge(settings::router())
        .merge(look::router())
        .merge(checkout::router())
        .merge(orders::router())
        .merge(payments::router())
        .merge(privacy::router())
        .merge(requests::router())
        .merge(request_open::router())
        .merge(newsletter::router())
        .merge(retention::router())
        .merge(shop_export::router())
        .merge(closure::router())
        .merge(catalog_csv::router())
        .merge(team::router())
        .merge(account::router())
        .merge(audit::router())
        .merge(access::router())
        // The menu marks the page the member is on.
        .layer(axum::middleware::from_fn(layout::with_path))
}

async fn css() -> Response {
    platform_web::stylesheet(platform_web::CONSOLE_CSS)
}
