//! The shop's audit log in the console (owners): filter by member, object and time, page
//! back, export as JSON or CSV (after re-authentication).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::PageRole;
use platform_web::QueryParams;

use super::account::or_reauth;
use super::layout::{attachment, layout, page};
use crate::app::AppState;
use crate::app::audit::{self, LogPage, LogQuery};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::StaffAdmin;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(log_page))
        .route("/audit/export", get(export))
}

fn query_string(q: &LogQuery, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("staff", &q.staff),
        ("object", &q.object),
        ("from", &q.from),
        ("until", &q.until),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (k, v.to_owned()))
    })
    .collect();
    pairs.extend(extra.iter().cloned());
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn log_markup(staff: &Staff, q: &LogQuery, p: &LogPage) -> Markup {
    let name = |id: Option<uuid::Uuid>| match id {
        None => "the platform".to_owned(),
        Some(id) => p
            .names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("former member {}", &id.to_string()[..8])),
    };
    layout(
        "Audit log",
        Some(staff),
        html! {
            h1 { "Audit log" }
            p { "Every look at personal data by your staff (which orders, which kinds of data) and every change, in order. Nobody can change or delete an entry: the log is chained and sealed with signed checkpoints kept outside the database." }
            form.filters method="get" action="/audit" {
                label for="staff" { "Member" }
                select #staff name="staff" {
                    option value="" selected[q.staff_id().is_none()] { "Anyone" }
                    @for (id, email) in &p.names {
                        option value=(id) selected[q.staff_id() == Some(*id)] { (email) }
                    }
                }
                label for="object" { "Object" }
                input #object name="object" placeholder="order:…" value=(q.object.clone().unwrap_or_default());
                label for="from" { "From" }
                input #from name="from" type="date" value=(q.from.clone().unwrap_or_default());
                label for="until" { "Until" }
                input #until name="until" type="date" value=(q.until.clone().unwrap_or_default());
                button type="submit" { "Show" }
            }
            p.small {
                "Export what this filter shows: "
                a href={ "/audit/export?" (query_string(q, &[("format", "json".to_owned())])) } { "JSON" }
                " · "
                a href={ "/audit/export?" (query_string(q, &[("format", "csv".to_owned())])) } { "CSV" }
            }
            table tabindex="0" {
                thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Objects" } th scope="col" { "Personal data shown" } th scope="col" { "Why" } } }
                tbody {
                    @if p.events.is_empty() { tr { td colspan="7" { "Nothing matches." } } }
                    @for e in &p.events {
                        tr {
                            td { (e.seq) }
                            td { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            td {
                                @if e.actor.kind == platform_audit::ActorKind::Platform {
                                    "Platform operator " code { (e.actor.id.map(|i| i.to_string()).unwrap_or_default()) }
                                    br; span.small { (e.actor.roles.join(", ")) @if let Some(entity) = &e.actor.entity { " · " (entity) } }
                                } @else {
                                    (name(e.actor.id)) @if !e.actor.roles.is_empty() { br; span.small { (e.actor.roles.join(", ")) } }
                                }
                            }
                            td { (e.action) }
                            td {
                                @for o in e.objects.iter().take(5) {
                                    @if let Some(approver) = o.strip_prefix("approver:").and_then(|id| id.parse::<uuid::Uuid>().ok()) {
                                        "approved by " (name(Some(approver))) br;
                                    } @else {
                                        a href={ "/audit?" (query_string(&LogQuery::default(), &[("object", o.clone())])) } { code { (o) } } br;
                                    }
                                }
                                @if e.objects.len() > 5 { "and " (e.objects.len() - 5) " more" }
                            }
                            td { @if e.classes.is_empty() { "—" } @else { (e.classes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) } }
                            td { (e.purpose) }
                        }
                    }
                }
            }
            @if let Some(before) = p.next_before {
                p { a href={ "/audit?" (query_string(q, &[("before", before.to_string())])) } { "Older entries →" } }
            }
        },
    )
}

async fn log_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<LogQuery>,
) -> Result<Response, ApiError> {
    let p = audit::log(&state, &staff, &q).await?;
    Ok(page(StatusCode::OK, log_markup(&staff, &q, &p)))
}

/// The filter of an export, and its format (`json`, default, or `csv`).
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Member.
    pub staff: Option<String>,
    /// Object.
    pub object: Option<String>,
    /// From this day.
    pub from: Option<String>,
    /// Until this day.
    pub until: Option<String>,
    /// `json` or `csv`.
    pub format: Option<String>,
}

impl ExportQuery {
    /// The filter part.
    pub fn filter(&self) -> LogQuery {
        LogQuery {
            staff: self.staff.clone(),
            object: self.object.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            before: None,
        }
    }
}

/// The export as a download: JSON (default) or CSV.
pub fn download(events: &[platform_audit::Record], csv: bool) -> Result<Response, ApiError> {
    Ok(if csv {
        attachment(
            audit::to_csv(events)?,
            "text/csv; charset=utf-8",
            "audit-log.csv",
        )
    } else {
        attachment(json_bytes(events)?, "application/json", "audit-log.json")
    })
}

/// Pretty JSON of an export.
pub fn json_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec_pretty(value)
        .map_err(|_| ApiError::Csv(csv::Error::from(std::io::Error::other("json export"))))
}

async fn export(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    let filter = q.filter();
    let back = format!(
        "/audit/export?{}",
        query_string(&filter, &[("format", q.format.clone().unwrap_or_default())])
    );
    let result = async {
        let events = audit::export(&state, &staff, &filter).await?;
        download(&events, q.format.as_deref() == Some("csv"))
    }
    .await;
    or_reauth(result, &back)
}
