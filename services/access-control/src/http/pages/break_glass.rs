//! Break-glass in the console: asking (any requester), the security officers' queue
//! (approve or deny others' requests), and the post-incident note.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_web::PathParams;
use serde::Deserialize;
use uuid::Uuid;

use super::layout::{error_box, input_problem, layout, page, when};
use crate::app::AppState;
use crate::app::break_glass::{self, BreakGlassInput, NoteInput};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::{Requester, SecurityOfficer, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/break-glass", get(queue).post(request_submit))
        .route("/break-glass/new", get(new_page))
        .route("/break-glass/{shop}/{id}/approve", post(approve))
        .route("/break-glass/{shop}/{id}/deny", post(deny))
        .route("/break-glass/{shop}/{id}/note", post(note))
}

#[derive(Deserialize, Default)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    incident_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    minutes: Option<String>,
    #[serde(flatten)]
    boxes: super::ClassBoxes,
}
csrf_forms!(RequestForm);

fn form_markup(op: &Operator, f: &RequestForm, error: Option<&str>) -> Markup {
    layout(
        "Break-glass",
        Some(op),
        html! {
            h1 { "Emergency access (break-glass)" }
            p { "For an incident that cannot wait for the shop's owners. A second security officer must approve it; it lasts at most an hour; the owners are told at once and can end it; you owe a post-incident note within 72 hours." }
            (error_box(error))
            form.card method="post" action="/break-glass" {
                input type="hidden" name="csrf" value=(op.csrf);
                label for="shop" { "Shop handle" }
                input #shop name="shop" required value=(f.shop);
                label for="incident_id" { "Incident" }
                input #incident_id name="incident_id" required value=(f.incident_id) placeholder="INC-2026-042";
                label for="reason" { "What is happening, and why the owners cannot be waited for (40 characters at least)" }
                textarea #reason name="reason" rows="4" required minlength="40" { (f.reason) }
                (f.boxes.fieldset("Classes of personal data needed"))
                label for="minutes" { "For how long, once approved" }
                select #minutes name="minutes" {
                    @for m in [15, 30, 60] {
                        option value=(m) selected[super::number(&f.minutes).unwrap_or(60) == m] { (m) " minutes" }
                    }
                }
                button type="submit" { "Ask a second security officer" }
            }
        },
    )
}

async fn new_page(PageRole(op, _): PageRole<Requester, Operator>) -> Response {
    page(
        StatusCode::OK,
        form_markup(&op, &RequestForm::default(), None),
    )
}

async fn request_submit(
    State(state): State<AppState>,
    CheckedForm(op, form, _): CheckedForm<Operator, RequestForm, Requester>,
) -> Result<Response, ApiError> {
    let input = BreakGlassInput {
        shop: form.shop.clone(),
        incident_id: form.incident_id.clone(),
        reason: form.reason.clone(),
        classes: form.boxes.classes(),
        minutes: super::number(&form.minutes),
    };
    match break_glass::request(&state, &op, &input).await {
        Ok(_) => Ok(Redirect::to("/?done=requested").into_response()),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            Ok(page(status, form_markup(&op, &form, Some(&message))))
        }
    }
}

async fn queue(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<SecurityOfficer, Operator>,
) -> Result<Response, ApiError> {
    let queue = break_glass::queue(&state, &op).await?;
    let now = state.clock.now();
    Ok(page(
        StatusCode::OK,
        layout(
            "Break-glass queue",
            Some(&op),
            html! {
                h1 { "Break-glass" }
                p { a href="/break-glass/new" { "Ask for emergency access" } }
                @if queue.is_empty() { p { "Nothing waiting, no note missing." } }
                @for g in &queue {
                    section.card {
                        p { strong { (g.shop) } " · incident " (g.incident_id.clone().unwrap_or_default()) " · " (g.classes.join(", ")) " for " (g.minutes) " minutes" }
                        blockquote { (g.reason) }
                        @if g.status == "pending" {
                            p { small { "Asked " (when(g.requested_at)) "." } }
                            form.inline method="post" action={ "/break-glass/" (g.shop_id) "/" (g.id) "/approve" } {
                                input type="hidden" name="csrf" value=(op.csrf);
                                button type="submit" { "Approve" }
                            }
                            form.inline method="post" action={ "/break-glass/" (g.shop_id) "/" (g.id) "/deny" } {
                                input type="hidden" name="csrf" value=(op.csrf);
                                button type="submit" { "Deny" }
                            }
                        } @else if let Some(due) = g.note_due_at {
                            p.error { "Post-incident note missing; due " (when(due)) @if now > due { " (overdue)" } "." }
                        }
                    }
                }
            },
        ),
    ))
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
}
csrf_forms!(DecideForm);

async fn approve(
    State(state): State<AppState>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
    CheckedForm(op, _, _): CheckedForm<Operator, DecideForm, SecurityOfficer>,
) -> Result<Response, ApiError> {
    break_glass::approve(&state, &op, shop, id).await?;
    Ok(Redirect::to("/break-glass").into_response())
}

async fn deny(
    State(state): State<AppState>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
    CheckedForm(op, _, _): CheckedForm<Operator, DecideForm, SecurityOfficer>,
) -> Result<Response, ApiError> {
    break_glass::deny(&state, &op, shop, id).await?;
    Ok(Redirect::to("/break-glass").into_response())
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    #[serde(default)]
    note: String,
}
csrf_forms!(NoteForm);

async fn note(
    State(state): State<AppState>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
    CheckedForm(op, form, _): CheckedForm<Operator, NoteForm, Requester>,
) -> Result<Response, ApiError> {
    break_glass::note(&state, &op, shop, id, &NoteInput { note: form.note }).await?;
    Ok(Redirect::to("/?done=noted").into_response())
}
