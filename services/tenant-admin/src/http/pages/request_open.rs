//! Opening a data request in the console for a visitor who asked by phone, letter or at
//! the counter (O13, O14): the form, kept as typed with the problem beside its field.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::RequestKind;
use serde::Deserialize;

use super::layout::{Problem, field, form_problem, layout, page};
use super::requests::{form_field, kind_label};
use crate::app::AppState;
use crate::app::requests;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{RequestHandler, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/requests/new", get(new_page).post(open_submit))
}

#[derive(Deserialize)]
struct OpenForm {
    csrf: String,
    /// Empty when no kind was chosen (the page then asks for one).
    #[serde(default)]
    kind: String,
    email: String,
    #[serde(default)]
    details: String,
}

csrf_forms!(OpenForm);

fn new_markup(staff: &Staff, form: Option<&OpenForm>, problem: Option<&Problem>) -> Markup {
    let kind = form.and_then(|f| RequestKind::parse(&f.kind));
    let kind_mark = field(problem, "kind", "kind");
    let email = field(problem, "email", "email");
    let details = field(problem, "details", "details");
    layout(
        "Open a request",
        Some(staff),
        html! {
            h1 { "Open a request for a visitor" }
            p { "For someone who asked by phone, letter or at the counter. Check who they are first (for example, ask for an order number and the email it was placed with): the request counts from today and skips the emailed confirmation." }
            (form_problem(problem, &["kind", "email", "details"]))
            form method="post" action="/requests/new" {
                input type="hidden" name="csrf" value=(staff.csrf);
                fieldset #kind aria-invalid=[kind_mark.invalid] aria-describedby=[kind_mark.described_by] {
                    legend { "They ask for" }
                    @for k in RequestKind::ALL {
                        label.choice { input type="radio" name="kind" value=(k.as_str()) required checked[kind == Some(*k)]; " " (kind_label(*k)) }
                    }
                    (kind_mark.note)
                }
                label for="email" { "Their email address" }
                input #email name="email" type="email" required value=(form.map(|f| f.email.as_str()).unwrap_or(""))
                    aria-invalid=[email.invalid] aria-describedby=[email.described_by];
                (email.note)
                label for="details" { "For a correction: what is to be corrected" }
                textarea #details name="details" rows="3" maxlength="2000"
                    aria-invalid=[details.invalid] aria-describedby=[details.described_by] {
                    (form.map(|f| f.details.as_str()).unwrap_or(""))
                }
                (details.note)
                button type="submit" { "Open the request" }
            }
        },
    )
}

async fn new_page(PageRole(staff, _): PageRole<RequestHandler, Staff>) -> Response {
    page(StatusCode::OK, new_markup(&staff, None, None))
}

async fn open_submit(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, OpenForm, RequestHandler>,
) -> Result<Response, ApiError> {
    let Some(kind) = RequestKind::parse(&form.kind) else {
        let problem = Problem::at("Please choose what they ask for.".to_owned(), Some("kind"));
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_markup(&staff, Some(&form), Some(&problem)),
        ));
    };
    match requests::open(&state, &staff, kind, &form.email, &form.details).await {
        Ok(opened) => {
            Ok(Redirect::to(&format!("/requests/{}?done=opened", opened.id)).into_response())
        }
        Err(ApiError::OrdersRefused {
            code,
            message,
            field,
        }) if code != platform_orders_api::ErrorCode::NotFound => {
            let problem = Problem::at(message, field.as_deref().map(form_field));
            Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                new_markup(&staff, Some(&form), Some(&problem)),
            ))
        }
        Err(e) => Err(e),
    }
}
