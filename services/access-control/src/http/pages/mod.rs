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
use maud::{Markup, html};
use platform_domain::DataClass;
use serde::Deserialize;

pub use layout::ConsoleErrorPage;

use crate::app::AppState;

const CSS: &str = include_str!("ops.css");

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/console.css", get(console_css))
        .route("/assets/ops.css", get(css))
        .merge(session::router())
        .merge(grants::router())
        .merge(break_glass::router())
        .merge(orders::router())
        .merge(staff::router())
        .merge(review::router())
}

async fn console_css() -> Response {
    platform_web::stylesheet(platform_web::CONSOLE_CSS)
}

async fn css() -> Response {
    platform_web::stylesheet(CSS)
}

/// The classes of personal data a form asks for: one checkbox per class, as browsers send
/// them (a field per ticked box). Forms take it with `#[serde(flatten)]`, so their other
/// fields are text.
#[derive(Debug, Default, Deserialize)]
pub struct ClassBoxes {
    contact: Option<String>,
    shipping: Option<String>,
    billing: Option<String>,
    network: Option<String>,
    marketing: Option<String>,
    account: Option<String>,
    child: Option<String>,
    activity: Option<String>,
}

impl ClassBoxes {
    /// Whether `class` is ticked.
    pub fn ticked(&self, class: DataClass) -> bool {
        match class {
            DataClass::Contact => self.contact.is_some(),
            DataClass::Shipping => self.shipping.is_some(),
            DataClass::Billing => self.billing.is_some(),
            DataClass::Network => self.network.is_some(),
            DataClass::Marketing => self.marketing.is_some(),
            DataClass::Account => self.account.is_some(),
            DataClass::Child => self.child.is_some(),
            DataClass::Activity => self.activity.is_some(),
        }
    }

    /// The ticked classes, as the use cases take them.
    pub fn classes(&self) -> Vec<String> {
        DataClass::ALL
            .iter()
            .filter(|c| self.ticked(**c))
            .map(|c| c.as_str().to_owned())
            .collect()
    }

    /// The checkboxes, ticked as they were.
    pub fn fieldset(&self, legend: &str) -> Markup {
        html! {
            fieldset {
                legend { (legend) }
                @for c in DataClass::ALL {
                    label { input type="checkbox" name=(c.as_str()) value="1" checked[self.ticked(*c)]; " " (c.as_str()) }
                }
            }
        }
    }
}

/// A number typed in a form field; blank or not a number is none.
pub fn number(text: &Option<String>) -> Option<i32> {
    text.as_deref().and_then(|t| t.trim().parse().ok())
}
