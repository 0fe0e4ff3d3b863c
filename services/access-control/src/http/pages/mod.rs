//! The platform staff console: server-rendered pages that work without JavaScript, one
//! module per resource, each calling the same use cases as the API.

mod break_glass;
mod grants;
mod layout;
mod orders;
mod review;
mod session;
mod staff;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub use layout::ConsoleErrorPage;

use crate::app::AppState;

const CSS: &str = include_str!("ops.css");

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/ops.css", get(css))
        .merge(session::router())
        .merge(grants::router())
        .merge(break_glass::router())
        .merge(orders::router())
        .merge(staff::router())
        .merge(review::router())
}

async fn css() -> Response {
    platform_web::stylesheet(CSS)
}
