//! Retention in the console (O15): how long each class of data is kept (within the
//! platform's bounds), a preview of what a run would remove now, and the report of runs.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::RetentionClass;
use platform_web::QueryParams;
use serde::Deserialize;

use super::layout::{Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::retention::{self, Counts, Run};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/retention", get(retention_page).post(save))
        .route("/settings/retention/preview", post(preview))
}

fn counts_rows(c: &Counts) -> Markup {
    html! {
        li { (c.order_details) " orders' contact, delivery and card details" }
        li { (c.buyer_ips) " buyer IP addresses" }
        li { (c.delivered_mail) " records of sent mail" }
        li { (c.request_exports) " expired data exports and " (c.shop_exports) " expired shop exports" }
        li { (c.staff_sessions) " ended staff sessions and " (c.login_attempts) " login attempts" }
        li { (c.view_counts) " daily view counts" }
        @if !c.orders_reached { li { "(the orders service could not be reached: its classes were not counted)" } }
    }
}

fn markup(
    staff: &Staff,
    policy: &[(RetentionClass, String)],
    runs: &[Run],
    preview: Option<&Counts>,
    done: Option<&str>,
    problem: Option<&Problem>,
) -> Markup {
    let names: Vec<&str> = policy.iter().map(|(c, _)| c.as_str()).collect();
    layout(
        "Retention",
        Some(staff),
        html! {
            h1 { "How long data is kept" }
            p { "Each kind of personal data goes when its time is up: a run every day removes it, and orders stay for your accounts without the person. Days are within the platform's limits." }
            (notice(done))
            (form_problem(problem, &names))
            form.card method="post" action="/settings/retention" {
                input type="hidden" name="csrf" value=(staff.csrf);
                @for (class, days) in policy {
                    @let (floor, ceiling, _) = class.bounds();
                    label for=(class.as_str()) { (class.describe()) @if class.settable() { " (" (floor) "–" (ceiling) " days)" } }
                    @if class.settable() {
                        @let mark = field(problem, class.as_str(), class.as_str());
                        input id=(class.as_str()) name=(class.as_str()) type="number" min=(floor) max=(ceiling) required value=(days)
                            aria-invalid=[mark.invalid] aria-describedby=[mark.described_by];
                        (mark.note)
                    } @else {
                        input id=(class.as_str()) type="number" value=(days) disabled;
                    }
                }
                p.small { "Accounting records (order number, amounts, tax, country) are kept, without the person, for the years set under Settings." }
                button type="submit" { "Save" }
            }
            form.card method="post" action="/settings/retention/preview" {
                input type="hidden" name="csrf" value=(staff.csrf);
                p { "See what a run would remove right now; nothing changes." }
                button type="submit" { "Preview" }
            }
            @if let Some(c) = preview {
                section.card aria-labelledby="preview" {
                    h2 #preview { "A run now would remove" }
                    ul { (counts_rows(c)) }
                }
            }
            section aria-labelledby="runs" {
                h2 #runs { "Runs" }
                @if runs.is_empty() { p { "None yet: the first runs today." } }
                @for r in runs {
                    details {
                        summary { (r.at.format("%Y-%m-%d %H:%M UTC")) " · " @if r.dry_run { "preview" } @else if r.staff_id.is_some() { "run by staff" } @else { "daily run" } }
                        ul { (counts_rows(&r.counts.0)) }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn retention_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let policy = shown(retention::policy(&state, &staff).await?);
    let runs = retention::runs(&state, &staff).await?;
    let done = q.done.is_some().then_some("Saved.");
    Ok(page(
        StatusCode::OK,
        markup(&staff, &policy, &runs, None, done, None),
    ))
}

/// The policy as the form shows it.
fn shown(policy: Vec<(RetentionClass, i32)>) -> Vec<(RetentionClass, String)> {
    policy
        .into_iter()
        .map(|(class, days)| (class, days.to_string()))
        .collect()
}

#[derive(Deserialize)]
struct PolicyForm {
    csrf: String,
    #[serde(flatten)]
    days: std::collections::HashMap<String, String>,
}

#[derive(Deserialize)]
struct PlainForm {
    csrf: String,
}

csrf_forms!(PolicyForm, PlainForm);

async fn save(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, PolicyForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let mut days = Vec::new();
    let mut problem = None;
    for class in RetentionClass::ALL.iter().filter(|c| c.settable()) {
        let typed = form.days.get(class.as_str()).map(|v| v.trim());
        let checked = match typed.map(str::parse::<i32>) {
            Some(Ok(d)) => class.check(d).map_err(|e| e.message.into_owned()),
            _ => Err(format!(
                "{}: please give a number of days.",
                class.describe()
            )),
        };
        match checked {
            Ok(d) => days.push((*class, d)),
            Err(message) => {
                // The first refused field is the one marked; the platform's bounds are
                // checked here so the message lands beside it.
                problem.get_or_insert(Problem::coded(
                    "settings.retention_out_of_range",
                    message,
                    &[("settings.retention", class.as_str())],
                ));
            }
        }
    }
    let problem = match problem {
        Some(p) => Some((StatusCode::UNPROCESSABLE_ENTITY, p)),
        None => match retention::set_policy(&state, &staff, &days).await {
            Ok(()) => None,
            Err(e) => Some(Problem::of(e)?),
        },
    };
    let Some((status, problem)) = problem else {
        return Ok(Redirect::to("/settings/retention?done=saved").into_response());
    };
    // Back as typed: every settable class with what was sent, the others as stored.
    let policy = retention::policy(&state, &staff)
        .await?
        .into_iter()
        .map(|(class, stored)| {
            let typed = class
                .settable()
                .then(|| form.days.get(class.as_str()).cloned())
                .flatten();
            (class, typed.unwrap_or_else(|| stored.to_string()))
        })
        .collect::<Vec<_>>();
    let runs = retention::runs(&state, &staff).await?;
    Ok(page(
        status,
        markup(&staff, &policy, &runs, None, None, Some(&problem)),
    ))
}

async fn preview(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let counts = retention::preview(&state, &staff).await?;
    let policy = shown(retention::policy(&state, &staff).await?);
    let runs = retention::runs(&state, &staff).await?;
    Ok(page(
        StatusCode::OK,
        markup(&staff, &policy, &runs, Some(&counts), None, None),
    ))
}
