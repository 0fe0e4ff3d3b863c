//! The shop's look in the console: its accent colour, its logo and its home page's
//! banner (picture, headline, text).

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, CheckedUpload, PageRole};
use platform_images::{Format, MAX_UPLOAD_BYTES};
use platform_web::{PathParams, QueryParams};
use serde::Deserialize;

use super::layout::{
    Done, Problem, error_box, field, form_problem, input_problem, layout, notice, page,
};
use crate::app::AppState;
use crate::app::images;
use crate::app::look::{self, Look, LookInput, Purpose};
use crate::app::staff::Staff;
use crate::db::images::Image;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/look", get(look_page).post(look_submit))
        .route(
            "/settings/look/{purpose}",
            post(picture_submit).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/settings/look/{purpose}/alt", post(alt_submit))
        .route(
            "/settings/look/{purpose}/remove",
            get(remove_page).post(remove_submit),
        )
}

#[derive(Deserialize)]
struct AltForm {
    csrf: String,
    #[serde(default)]
    alt: String,
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

/// A refused picture form: which picture, why, and the alt text typed.
struct PictureProblem<'a> {
    purpose: Purpose,
    message: &'a str,
    alt: &'a str,
}

fn purpose_of(raw: &str) -> Result<Purpose, ApiError> {
    Purpose::parse(raw).ok_or(ApiError::NotFound)
}

fn what(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Logo => "Logo",
        Purpose::Banner => "Banner picture",
    }
}

/// The console's own address of a picture's narrowest width.
fn thumbnail(image: &Image) -> (String, i32) {
    let w = image.widths.first().copied().unwrap_or(image.width);
    let ext = Format::parse(&image.format)
        .unwrap_or(Format::Jpeg)
        .extension();
    (format!("/images/{}/{w}.{ext}", image.id), w)
}

/// One picture's card: what it is now, its alt text, a new upload, removal.
fn picture_card(
    staff: &Staff,
    purpose: Purpose,
    image: Option<&Image>,
    problem: Option<&PictureProblem<'_>>,
) -> Markup {
    let p = purpose.as_str();
    let problem = problem.filter(|pr| pr.purpose == purpose);
    let hint = match purpose {
        Purpose::Logo => {
            "Shown at the top of every page instead of your shop's name, at most 3 rem high. Its alt text should be your shop's name."
        }
        Purpose::Banner => {
            "Shown across your home page beside the headline. Say in its alt text what it shows."
        }
    };
    html! {
        section.card #(p) aria-labelledby={ (p) "-h" } {
            h2 #{ (p) "-h" } { (what(purpose)) }
            p.small { (hint) }
            @if let Some(pr) = problem { (error_box(Some(pr.message))) }
            @if let Some(img) = image {
                @let (src, w) = thumbnail(img);
                img.preview src=(src) alt=(img.alt) width=(w);
                form method="post" action={ "/settings/look/" (p) "/alt" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for={ (p) "-alt" } { "Alt text" }
                    input id={ (p) "-alt" } name="alt" maxlength="300" value=(img.alt);
                    button type="submit" { "Save the alt text" }
                }
                p { a href={ "/settings/look/" (p) "/remove" } { "Remove the " (what(purpose).to_lowercase()) } }
            } @else {
                p { "None yet." }
            }
            form method="post" action={ "/settings/look/" (p) } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for={ (p) "-file" } { @if image.is_some() { "Replace it (JPEG, PNG or WebP, at most 10 MB)" } @else { "Upload (JPEG, PNG or WebP, at most 10 MB)" } }
                input id={ (p) "-file" } name="picture" type="file" accept="image/jpeg,image/png,image/webp" required;
                label for={ (p) "-new-alt" } { "Alt text" }
                input id={ (p) "-new-alt" } name="alt" maxlength="300" value=(problem.map_or("", |pr| pr.alt));
                button type="submit" { "Upload" }
            }
        }
    }
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

csrf_forms!(LookForm, AltForm, CsrfOnly);

fn markup(
    staff: &Staff,
    look: &Look,
    done: Option<&str>,
    refused: Option<&Problem>,
    problem: Option<&PictureProblem<'_>>,
) -> Markup {
    let [accent, title, text] =
        ["accent_color", "banner_title", "banner_text"].map(|name| field(refused, name, name));
    layout(
        "Look",
        Some(staff),
        html! {
            h1 { "Your shop's look" }
            (notice(done))
            (form_problem(refused, &["accent_color", "banner_title", "banner_text"]))
            form.card method="post" action="/settings/look" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="accent_color" { "Accent colour (buttons and links; dark enough for white text)" }
                input #accent_color name="accent_color" type="color" value=(look.accent_color)
                    aria-invalid=[accent.invalid] aria-describedby=[accent.described_by];
                (accent.note)
                label for="banner_title" { "Home page banner: headline (leave empty for none)" }
                input #banner_title name="banner_title" maxlength="120" value=(look.banner_title)
                    aria-invalid=[title.invalid] aria-describedby=[title.described_by];
                (title.note)
                label for="banner_text" { "Home page banner: text" }
                textarea #banner_text name="banner_text" rows="3" maxlength="500"
                    aria-invalid=[text.invalid] aria-describedby=[text.described_by] { (look.banner_text) }
                (text.note)
                button type="submit" { "Save the look" }
            }
            (picture_card(staff, Purpose::Logo, look.logo.as_ref(), problem))
            (picture_card(staff, Purpose::Banner, look.banner_image.as_ref(), problem))
        },
    )
}

async fn look_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let look = look::get(&state, staff.tenant).await?;
    let done = q.done.as_deref().map(|d| match d {
        "removed" => "Removed. Your shop no longer shows it.",
        _ => "Saved. Your shop shows the new look within a minute.",
    });
    Ok(page(
        StatusCode::OK,
        markup(&staff, &look, done, None, None),
    ))
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
            let (status, problem) = Problem::of(e)?;
            let stored = look::get(&state, staff.tenant).await?;
            let shown = Look {
                accent_color: input.accent_color,
                banner_title: input.banner_title,
                banner_text: input.banner_text,
                ..stored
            };
            Ok(page(
                status,
                markup(&staff, &shown, None, Some(&problem), None),
            ))
        }
    }
}

/// After a picture form: back to the look page, or the page again with the problem next
/// to the picture it is about.
async fn after_picture(
    state: &AppState,
    staff: &Staff,
    purpose: Purpose,
    alt: &str,
    outcome: Result<(), ApiError>,
    done: &str,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/settings/look?done={done}#{}", purpose.as_str()))
                .into_response(),
        ),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let look = look::get(state, staff.tenant).await?;
            let problem = PictureProblem {
                purpose,
                message: &message,
                alt,
            };
            Ok(page(
                status,
                markup(staff, &look, None, None, Some(&problem)),
            ))
        }
    }
}

async fn picture_submit(
    State(state): State<AppState>,
    PathParams(purpose): PathParams<String>,
    CheckedUpload(staff, form, _): CheckedUpload<Staff, ShopAdmin>,
) -> Result<Response, ApiError> {
    let purpose = purpose_of(&purpose)?;
    let alt = form.text("alt").to_owned();
    let outcome = match form.files("picture").next() {
        None => Err(images::missing()),
        Some(file) => look::set_picture(&state, &staff, purpose, file.bytes.clone(), &alt).await,
    };
    after_picture(&state, &staff, purpose, &alt, outcome, "saved").await
}

async fn alt_submit(
    State(state): State<AppState>,
    PathParams(purpose): PathParams<String>,
    CheckedForm(staff, f, _): CheckedForm<Staff, AltForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let purpose = purpose_of(&purpose)?;
    let outcome = look::set_picture_alt(&state, &staff, purpose, &f.alt).await;
    after_picture(&state, &staff, purpose, &f.alt, outcome, "saved").await
}

/// Removing asks first, on a page of its own that shows the picture.
async fn remove_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    PathParams(purpose): PathParams<String>,
) -> Result<Response, ApiError> {
    let purpose = purpose_of(&purpose)?;
    let look = look::get(&state, staff.tenant).await?;
    let image = match purpose {
        Purpose::Logo => look.logo,
        Purpose::Banner => look.banner_image,
    }
    .ok_or(ApiError::NotFound)?;
    let (src, w) = thumbnail(&image);
    let name = what(purpose).to_lowercase();
    Ok(page(
        StatusCode::OK,
        layout(
            "Remove picture",
            Some(&staff),
            html! {
                h1 { "Remove your shop's " (name) "?" }
                img.preview src=(src) alt=(image.alt) width=(w);
                p { "Your shop stops showing it, and it is deleted from the picture store. This cannot be undone." }
                form.card method="post" action={ "/settings/look/" (purpose.as_str()) "/remove" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Remove it" }
                }
                p { a href={ "/settings/look#" (purpose.as_str()) } { "Keep it and go back" } }
            },
        ),
    ))
}

async fn remove_submit(
    State(state): State<AppState>,
    PathParams(purpose): PathParams<String>,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly, ShopAdmin>,
) -> Result<Redirect, ApiError> {
    let purpose = purpose_of(&purpose)?;
    look::remove_picture(&state, &staff, purpose).await?;
    Ok(Redirect::to(&format!(
        "/settings/look?done=removed#{}",
        purpose.as_str()
    )))
}
