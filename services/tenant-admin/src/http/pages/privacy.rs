//! The privacy policy in the console: the draft, publication, the published versions.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::{Invalid, PolicyStatus};
use platform_web::QueryParams;
use serde::Deserialize;

use super::layout::{Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::policies;
use crate::app::staff::Staff;
use crate::db::policies::PolicyVersion;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(privacy_page))
        .route("/privacy/draft", post(draft_submit))
        .route("/privacy/publish", post(publish_submit))
        .route("/privacy/notice", post(notice_submit))
        .route("/privacy/children", post(children_submit))
}

#[derive(Deserialize)]
struct DraftForm {
    csrf: String,
    body: String,
}

#[derive(Deserialize)]
struct PublishForm {
    csrf: String,
    #[serde(default)]
    effective_on: String,
    material: Option<String>,
}

#[derive(Deserialize)]
struct NoticeForm {
    csrf: String,
    days: String,
}

#[derive(Deserialize)]
struct ChildrenForm {
    csrf: String,
    sells_to_minors: Option<String>,
}

csrf_forms!(DraftForm, PublishForm, NoticeForm, ChildrenForm);

async fn children_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, ChildrenForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let yes = f.sells_to_minors.is_some();
    let outcome = policies::set_sells_to_minors(&state, staff.tenant, yes)
        .await
        .map(|()| {
            if yes {
                "done=children_on"
            } else {
                "done=children_off"
            }
            .to_owned()
        });
    after(&state, &staff, outcome, Typed::default()).await
}

async fn notice_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, NoticeForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let outcome = async {
        let days: i32 = f.days.trim().parse().map_err(|_| {
            Invalid::new(
                "policy.notice_days_invalid",
                "Please give a number of days.",
            )
        })?;
        policies::set_notice_days(&state, staff.tenant, days).await?;
        Ok(format!("done=notice&days={days}"))
    }
    .await;
    let typed = Typed {
        days: Some(f.days),
        ..Typed::default()
    };
    after(&state, &staff, outcome, typed).await
}

/// The page's state besides the versions.
struct View<'a> {
    notice_days: i32,
    minors: bool,
    done: Option<&'a str>,
    problem: Option<&'a Problem>,
    typed: &'a Typed,
}

fn privacy_view(staff: &Staff, versions: &[PolicyVersion], v: &View<'_>) -> Markup {
    let draft = versions.iter().find(|v| v.status == PolicyStatus::Draft);
    let [body, effective, days] =
        ["body", "effective_on", "days"].map(|name| field(v.problem, name, name));
    let body_text = match (&v.typed.body, draft) {
        (Some(typed), _) => typed.as_str(),
        (None, Some(d)) => d.body.as_str(),
        (None, None) => "",
    };
    let days_text = v
        .typed
        .days
        .clone()
        .unwrap_or_else(|| v.notice_days.to_string());
    layout(
        "Privacy policy",
        Some(staff),
        html! {
            h1 { "Privacy policy" }
            (notice(v.done))
            (form_problem(v.problem, &["body", "effective_on", "days"]))
            form.card method="post" action="/privacy/draft" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="body" { @if let Some(d) = draft { "Draft of version " (d.version) } @else { "New version" } }
                textarea #body name="body" rows="12" required
                    aria-invalid=[body.invalid] aria-describedby=[body.described_by] { (body_text) }
                (body.note)
                button type="submit" { "Save draft" }
            }
            @if draft.is_some() {
                form.card method="post" action="/privacy/publish" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="effective_on" { "Takes effect on (leave empty for now; a later date announces the change first)" }
                    input #effective_on name="effective_on" type="date" value=[v.typed.effective_on.as_deref()]
                        aria-invalid=[effective.invalid] aria-describedby=[effective.described_by];
                    (effective.note)
                    label.choice {
                        input type="checkbox" name="material" value="yes";
                        " This is a material change (new purposes, new recipients, longer retention): every buyer is told by email, and it takes effect at least " (v.notice_days) " days after publishing"
                    }
                    button type="submit" { "Publish" }
                }
            }
            form.card method="post" action="/privacy/notice" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="days" { "Announce material changes to buyers this many days before they take effect (14–90)" }
                input #days name="days" type="number" min="14" max="90" required value=(days_text)
                    aria-invalid=[days.invalid] aria-describedby=[days.described_by];
                (days.note)
                button type="submit" { "Save" }
            }
            form.card method="post" action="/privacy/children" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label.choice {
                    input type="checkbox" name="sells_to_minors" value="yes" checked[v.minors];
                    " This shop sells to children. Checkout then asks each buyer whether they are 13 or older; for a child under 13 nothing is kept until a parent or guardian agrees by an emailed link, and products you mark \"13 and over\" are refused to them."
                }
                button type="submit" { "Save" }
            }
            h2 { "Published versions" }
            ul {
                @for v in versions.iter().filter(|v| v.status == PolicyStatus::Published) {
                    li { "Version " (v.version) @if let Some(at) = v.effective_at { ", effective " (at.format("%Y-%m-%d %H:%M UTC")) } }
                }
            }
        },
    )
}

/// What the last change did, as its redirect names it (numbers and a date only, never
/// text from the address).
#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
    version: Option<i32>,
    notified: Option<i64>,
    on: Option<chrono::NaiveDate>,
    days: Option<i32>,
}

impl DoneQuery {
    fn message(&self) -> Option<String> {
        Some(match self.done.as_deref()? {
            "draft" => "Draft saved.".to_owned(),
            "published" => match (self.version, self.notified, self.on) {
                (Some(v), Some(n), Some(on)) => {
                    format!("Version {v} published; {n} buyers are told it takes effect on {on}.")
                }
                (Some(v), _, _) => format!("Version {v} published."),
                _ => "Published.".to_owned(),
            },
            "notice" => format!(
                "Material changes are now announced {} days ahead.",
                self.days?
            ),
            "children_on" => "Checkout now asks each buyer's age; children under 13 need a parent's or guardian's consent.".to_owned(),
            "children_off" => "Checkout no longer asks for an age.".to_owned(),
            _ => return None,
        })
    }
}

async fn privacy_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<DoneQuery>,
) -> Result<Response, ApiError> {
    let versions = policies::versions(&state, staff.tenant).await?;
    let days = policies::notice_days(&state, staff.tenant).await?;
    let minors = policies::sells_to_minors(&state, staff.tenant).await?;
    let done = q.message();
    Ok(page(
        StatusCode::OK,
        privacy_view(
            &staff,
            &versions,
            &View {
                notice_days: days,
                minors,
                done: done.as_deref(),
                problem: None,
                typed: &Typed::default(),
            },
        ),
    ))
}

/// What a refused privacy form had in it, to show again.
#[derive(Default)]
struct Typed {
    body: Option<String>,
    effective_on: Option<String>,
    days: Option<String>,
}

/// The privacy forms' refusals, by the field they are about.
const FIELD_CODES: [(&str, &str); 5] = [
    ("policy.body", "body"),
    ("policy.date", "effective_on"),
    ("policy.effective", "effective_on"),
    ("policy.notice_too_short", "effective_on"),
    ("policy.notice_days", "days"),
];

/// After a change: on success, back to the page with what was done in its address
/// (post/redirect/get, so a reload sends nothing again); otherwise the page again with
/// what was typed and the problem beside its field.
async fn after(
    state: &AppState,
    staff: &Staff,
    outcome: Result<String, ApiError>,
    typed: Typed,
) -> Result<Response, ApiError> {
    let (status, problem) = match outcome {
        Ok(query) => return Ok(Redirect::to(&format!("/privacy?{query}")).into_response()),
        Err(e) => Problem::of_coded(e, &FIELD_CODES)?,
    };
    let versions = policies::versions(state, staff.tenant).await?;
    let days = policies::notice_days(state, staff.tenant).await?;
    let minors = policies::sells_to_minors(state, staff.tenant).await?;
    let view = View {
        notice_days: days,
        minors,
        done: None,
        problem: Some(&problem),
        typed: &typed,
    };
    Ok(page(status, privacy_view(staff, &versions, &view)))
}

async fn draft_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, DraftForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let outcome = policies::save_draft(&state, staff.tenant, &f.body)
        .await
        .map(|_| "done=draft".to_owned());
    let typed = Typed {
        body: Some(f.body),
        ..Typed::default()
    };
    after(&state, &staff, outcome, typed).await
}

async fn publish_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, PublishForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let outcome = async {
        let effective = match f.effective_on.trim() {
            "" => None,
            day => Some(
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc())
                    .ok_or_else(|| {
                        Invalid::new("policy.date_invalid", "Please give the date as YYYY-MM-DD.")
                    })?,
            ),
        };
        let material = f.material.as_deref() == Some("yes");
        let published = policies::publish(&state, staff.tenant, effective, material).await?;
        Ok(match published.notified {
            Some(n) => format!(
                "done=published&version={}&notified={n}&on={}",
                published.version,
                published.effective_at.format("%Y-%m-%d")
            ),
            None => format!("done=published&version={}", published.version),
        })
    }
    .await;
    let typed = Typed {
        effective_on: Some(f.effective_on),
        ..Typed::default()
    };
    after(&state, &staff, outcome, typed).await
}
