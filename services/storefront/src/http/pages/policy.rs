//! The shop's privacy policy (O20): the version in effect, and an upcoming one announced
//! before it applies.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;

use super::layout::{layout, page, prose};
use crate::db::catalog;
use crate::error::ShopError;
use crate::http::links::Links;
use crate::{AppState, Shop};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/policies/privacy", get(privacy))
}

async fn privacy(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let (current, upcoming) = catalog::policies(&mut tx, chrono::Utc::now()).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "Privacy policy",
        frame,
        html! {
            h1 { "Privacy policy" }
            @if let Some(next) = &upcoming {
                aside.notice role="note" {
                    "This policy changes on " (next.effective_at.format("%-d %B %Y")) ". "
                    a href="#upcoming" { "Read the new version" } "."
                }
            }
            @match &current {
                Some(p) => {
                    p.small { "Version " (p.version) ", in effect since " (p.effective_at.format("%-d %B %Y")) "." }
                    (prose(&p.body))
                }
                None => p { (shop.display_name) " has not published a privacy policy yet. The platform processes visitors' data only on the shop's behalf." }
            }
            @if let Some(next) = &upcoming {
                section #upcoming {
                    h2 { "Upcoming version " (next.version) }
                    (prose(&next.body))
                }
            }
            (super::privacy::your_data(&shop, &Default::default(), None))
        },
    )))
}
