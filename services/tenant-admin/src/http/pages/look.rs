//! The shop's look in the console: its accent colour and its home page's banner.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_web::QueryParams;
use serde::Deserialize;

use super::layout::{Done, error_box, input_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::look::{self, Look, LookInput};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/settings/look", get(look_page).post(look_submit))
}

#[derive(Deserialize)]
struct LookForm {
    csrf: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    banner_title: String,
    #[serde(default)]
    banner_text: String,
}

csrf_forms!(LookForm);

fn markup(staff: &Staff, look: &Look, done: Option<&str>, error: Option<&str>) -> Markup {
    layout(
        "Look",
        Some(staff),
        html! {
            h1 { "Your shop's look" }
            (notice(done))
            (error_box(error))
            form.card method="post" action="/settings/look" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="accent_color" { "Accent colour (buttons and links; dark enough for white text)" }
                input #accent_color name="accent_color" type="color" value=(look.accent_color);
                label for="banner_title" { "Home page banner: headline (leave empty for none)" }
                input #banner_title name="banner_title" maxlength="120" value=(look.banner_title);
                label for="banner_text" { "Home page banner: text" }
                textarea #banner_text name="banner_text" rows="3" maxlength="500" { (look.banner_text) }
                button type="submit" { "Save the look" }
            }
        },
    )
}

async fn look_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let look = look::get(&state, staff.tenant).await?;
    let done = q
        .done
        .is_some()
        .then_some("Saved. Your shop shows the new look within a minute.");
    Ok(page(StatusCode::OK, markup(&staff, &look, done, None)))
}

async fn look_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, LookForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let input = LookInput {
        accent_color: f.accent_color,
        banner_title: f.banner_title,
        banner_text: f.banner_text,
    };
    match look::save(&state, &staff, &input).await {
        Ok(()) => Ok(Redirect::to("/settings/look?done=saved").into_response()),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let shown = Look {
                accent_color: input.accent_color,
                banner_title: input.banner_title,
                banner_text: input.banner_text,
            };
            Ok(page(status, markup(&staff, &shown, None, Some(&message))))
        }
    }
}
