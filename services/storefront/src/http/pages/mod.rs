//! The shop's HTML pages: semantic, accessible, no JavaScript needed.

mod cart;
mod catalog;
mod checkout;
mod guardian;
mod layout;
mod newsletter;
pub(crate) mod picker;
mod pictures;
mod policy;
mod privacy;

use axum::Router;
use axum::routing::get;

pub use layout::{layout, shop_frame};

use crate::AppState;

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/shop.css", get(layout::css))
        .route("/assets/look.css", get(layout::look_css))
        .route("/images/{id}/{file}", get(pictures::picture))
        .merge(catalog::router())
        .merge(policy::router())
        .merge(privacy::router())
        .merge(newsletter::router())
        .merge(guardian::router())
        .merge(cart::router())
        .merge(checkout::router())
}
