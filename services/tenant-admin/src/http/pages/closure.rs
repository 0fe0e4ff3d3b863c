//! Closing the shop in the console: what it means, the export it needs, the request
//! (password and code again, the handle typed out) and the cancellation. Owners only.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use serde::Deserialize;

use super::account::or_reauth;
use super::layout::{Done, Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::closure::{self, CloseInput, MAX_GRACE_DAYS, MIN_GRACE_DAYS, Standing};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/close", get(close_page).post(request))
        .route("/close/cancel", post(cancel))
}

#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    #[serde(default)]
    grace_days: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Deserialize)]
struct CancelForm {
    csrf: String,
}

csrf_forms!(CloseForm, CancelForm);

fn markup(
    staff: &Staff,
    standing: &Standing,
    done: Option<&str>,
    problem: Option<&Problem>,
    form: Option<&CloseForm>,
) -> Markup {
    let grace_mark = field(problem, "grace_days", "grace_days");
    let confirm_mark = field(problem, "confirm", "confirm");
    let grace = form
        .map(|f| f.grace_days.clone())
        .unwrap_or_else(|| MIN_GRACE_DAYS.to_string());
    layout(
        "Close the shop",
        Some(staff),
        html! {
            h1 { "Close the shop" }
            (notice(done))
            (form_problem(problem, &["grace_days", "confirm"]))
            @if let Some(s) = &standing.scheduled {
                p { "An owner asked on " (s.requested_at.format("%-d %B %Y")) " to close this shop. It closes on " strong { (s.close_at.format("%-d %B %Y at %H:%M UTC")) } "." }
                p { "Until then the shop stays online but takes no new orders. Ship or refund the orders that are paid; export again if you need the latest records." }
                form.card method="post" action="/close/cancel" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button type="submit" { "Keep the shop open" }
                }
            } @else {
                p { "Closing the shop ends your contract with the platform. After a grace period of at least " (MIN_GRACE_DAYS) " days, during which any owner can cancel:" }
                ul {
                    li { "every product, order, buyer's detail, data request, newsletter subscriber, staff account and the audit log is deleted;" }
                    li { "the shop's encryption keys are destroyed, so its backups can never be read again; they are deleted as they expire;" }
                    li { "the shop's address stops working and nobody can sign in here any more;" }
                    li { "you receive a signed deletion certificate by email, listing what was deleted, when, and the day the last backup expires." }
                }
                h2 { "1. Export the shop" }
                @if let Some(e) = &standing.export {
                    p { "Your export of " (e.made_at.format("%-d %B %Y %H:%M UTC")) " (SHA-256 " code { (hex::encode(&e.sha256)) } ") is named in the certificate. Download it from " a href="/export" { "Export the shop" } " before you go on: it holds the accounting records you must keep." }
                } @else {
                    p { "Closing needs a full export made in the last 3 days: " a href="/export" { "make one" } ", download it and keep it safe." }
                }
                h2 { "2. Confirm" }
                form.card method="post" action="/close" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="grace_days" { "Days until everything is deleted (" (MIN_GRACE_DAYS) " to " (MAX_GRACE_DAYS) ")" }
                    input #grace_days name="grace_days" type="number" min=(MIN_GRACE_DAYS) max=(MAX_GRACE_DAYS) required value=(grace)
                        aria-invalid=[grace_mark.invalid] aria-describedby=[grace_mark.described_by];
                    (grace_mark.note)
                    label for="confirm" { "Type the shop's handle, " code { (standing.handle) } ", to confirm" }
                    input #confirm name="confirm" type="text" required autocomplete="off" value=[form.map(|f| f.confirm.as_str())]
                        aria-invalid=[confirm_mark.invalid] aria-describedby=[confirm_mark.described_by];
                    (confirm_mark.note)
                    p.small { "You will be asked for your password and code." }
                    button.danger type="submit" disabled[standing.export.is_none()] { "Close the shop" }
                }
            }
        },
    )
}

async fn close_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    Query(q): Query<Done>,
) -> Result<Response, ApiError> {
    let standing = closure::standing(&state, &staff).await?;
    let done = match q.done.as_deref() {
        Some("scheduled") => Some(
            "The shop is closing. Every owner and member sees the date on every page until then.",
        ),
        Some("cancelled") => Some("The closing is cancelled: the shop stays open."),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        markup(&staff, &standing, done, None, None),
    ))
}

async fn request(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, CloseForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let input = CloseInput {
        grace_days: form.grace_days.trim().parse().unwrap_or(0),
        confirm: form.confirm.clone(),
    };
    match closure::request(&state, &staff, &input).await {
        Ok(_) => Ok(Redirect::to("/close?done=scheduled").into_response()),
        Err(ApiError::ReauthRequired) => or_reauth(Err(ApiError::ReauthRequired), "/close"),
        Err(e) => {
            let (status, problem) = Problem::of_coded(
                e,
                &[
                    ("closure.grace", "grace_days"),
                    ("closure.confirmation", "confirm"),
                ],
            )?;
            let standing = closure::standing(&state, &staff).await?;
            Ok(page(
                status,
                markup(&staff, &standing, None, Some(&problem), Some(&form)),
            ))
        }
    }
}

async fn cancel(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, CancelForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    closure::cancel(&state, &staff).await?;
    Ok(Redirect::to("/close?done=cancelled").into_response())
}
