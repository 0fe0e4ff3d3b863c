//! Asking a shop for access, and ending a grant.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{GrantPurpose, PlatformRole};
use platform_web::PathParams;
use serde::Deserialize;
use uuid::Uuid;

use super::layout::{error_box, input_problem, layout, page};
use crate::app::AppState;
use crate::app::grants::{self, RequestInput};
use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::{Requester, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/grants/new", get(new_page))
        .route("/grants", post(request_submit))
        .route("/grants/{shop}/{id}/end", post(end_submit))
}

/// Lengths offered, in minutes.
const LENGTHS: &[(i32, &str)] = &[
    (15, "15 minutes"),
    (60, "1 hour"),
    (120, "2 hours"),
    (240, "4 hours"),
    (480, "8 hours"),
    (1440, "24 hours"),
];

#[derive(Deserialize, Default)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    minutes: Option<String>,
    #[serde(flatten)]
    boxes: super::ClassBoxes,
}
csrf_forms!(RequestForm);

impl RequestForm {
    fn input(&self) -> RequestInput {
        RequestInput {
            shop: self.shop.clone(),
            purpose: self.purpose.clone(),
            ticket: Some(self.ticket.clone()),
            reason: self.reason.clone(),
            classes: self.boxes.classes(),
            minutes: super::number(&self.minutes),
            role: Some(self.role.clone()).filter(|r| !r.is_empty()),
        }
    }
}

fn form_markup(op: &Operator, f: &RequestForm, error: Option<&str>) -> Markup {
    let minutes = super::number(&f.minutes).unwrap_or(platform_domain::GRANT_DEFAULT_MINUTES);
    let roles: Vec<PlatformRole> = op.roles.iter().filter(|r| r.may_request_grants()).collect();
    layout(
        "Ask for access",
        Some(op),
        html! {
            h1 { "Ask a shop for access" }
            p { "The shop's owners read what you write here and approve or deny it. The grant starts when they approve and ends on its own; you see only the classes you ask for, and every look is in the shop's audit log." }
            (error_box(error))
            form.card method="post" action="/grants" {
                input type="hidden" name="csrf" value=(op.csrf);
                label for="shop" { "Shop handle" }
                input #shop name="shop" required value=(f.shop);
                @if roles.len() > 1 {
                    label for="role" { "Acting as" }
                    select #role name="role" {
                        @for r in &roles {
                            option value=(r.as_str()) selected[f.role == r.as_str()] { (r.label()) }
                        }
                    }
                }
                label for="purpose" { "Purpose" }
                select #purpose name="purpose" {
                    @for p in GrantPurpose::ALL.iter().filter(|p| **p != GrantPurpose::Incident) {
                        option value=(p.as_str()) selected[f.purpose == p.as_str()] { (p.label()) }
                    }
                }
                label for="ticket" { "Ticket reference" }
                input #ticket name="ticket" value=(f.ticket) placeholder="SUP-1234";
                small { "Required but for “Other”." }
                label for="reason" { "What you need and why" }
                textarea #reason name="reason" rows="4" required { (f.reason) }
                (f.boxes.fieldset("Classes of personal data needed"))
                label for="minutes" { "For how long, once approved" }
                select #minutes name="minutes" {
                    @for (m, text) in LENGTHS {
                        option value=(m) selected[*m == minutes] { (text) }
                    }
                }
                button type="submit" { "Ask the owners" }
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
    match grants::request(&state, &op, &form.input()).await {
        Ok(_) => Ok(Redirect::to("/?done=requested").into_response()),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            Ok(page(status, form_markup(&op, &form, Some(&message))))
        }
    }
}

#[derive(Deserialize)]
struct EndForm {
    csrf: String,
}
csrf_forms!(EndForm);

async fn end_submit(
    State(state): State<AppState>,
    PathParams((shop, id)): PathParams<(Uuid, Uuid)>,
    CheckedForm(op, _, _): CheckedForm<Operator, EndForm, Requester>,
) -> Result<Response, ApiError> {
    grants::close(&state, &op, shop, id).await?;
    Ok(Redirect::to("/?done=ended").into_response())
}
