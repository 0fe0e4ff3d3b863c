//! Platform access: what the platform's staff ask of this shop, what they hold, and what
//! they had; approve, deny or end (owners).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_web::{PathParams, QueryParams};
use serde::Deserialize;
use uuid::Uuid;

use super::account::or_reauth;
use super::layout::{layout, notice, page};
use crate::app::AppState;
use crate::app::access::{self, DisclosureView, GrantView};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{StaffAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/access", get(list))
        .route("/access/{id}/approve", post(approve))
        .route("/access/{id}/deny", post(deny))
        .route("/access/{id}/end", post(end))
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn who(g: &GrantView) -> Markup {
    html! {
        "Operator " code { (g.operator.to_string()[..8]) } " · " (g.role_label()) " · " (g.entity)
    }
}

fn button(staff: &Staff, g: &GrantView, verb: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/access/" (g.id) "/" (verb) } {
            input type="hidden" name="csrf" value=(staff.csrf);
            button type="submit" { (label) }
        }
    }
}

fn markup(
    staff: &Staff,
    grants: &[GrantView],
    disclosures: &[DisclosureView],
    now: chrono::DateTime<chrono::Utc>,
    done: Option<&str>,
) -> Markup {
    let pending: Vec<&GrantView> = grants.iter().filter(|g| g.is_pending(now)).collect();
    let active: Vec<&GrantView> = grants.iter().filter(|g| g.is_active(now)).collect();
    let past: Vec<&GrantView> = grants
        .iter()
        .filter(|g| !g.is_pending(now) && !g.is_active(now))
        .collect();
    layout(
        "Platform access",
        Some(staff),
        html! {
            h1 { "Platform access" }
            p { "The platform's staff see none of your customers' personal data unless an owner approves a request here: only the classes it names, only for its time, and every look is in your " a href="/audit" { "audit log" } ". You can end a grant at any time." }
            (notice(done))
            h2 { "Waiting for you" }
            @if pending.is_empty() { p { "No requests." } }
            @for g in &pending {
                section.card {
                    p { strong { (who(g)) } }
                    p { "Asks to see " strong { (g.classes.join(", ")) } " for " (g.length()) " once approved." }
                    p { (g.purpose_label()) @if let Some(t) = &g.ticket { " · ticket " (t) } }
                    blockquote { (g.reason) }
                    p { small { "Asked " (when(g.requested_at)) "; lapses " (when(g.pending_until)) "." } }
                    (button(staff, g, "approve", "Approve"))
                    (button(staff, g, "deny", "Deny"))
                }
            }
            h2 { "Active" }
            @if active.is_empty() { p { "Nobody at the platform can see your customers' data now." } }
            @for g in &active {
                section.card {
                    p { strong { (who(g)) } @if g.kind == "break_glass" { " · emergency access" } }
                    p { "Sees " strong { (g.classes.join(", ")) } " until " (g.ends_at.map(when).unwrap_or_default()) "." }
                    p { (g.purpose_label()) @if let Some(t) = &g.ticket { " · ticket " (t) } }
                    blockquote { (g.reason) }
                    p { small { @match g.first_used_at { Some(at) => { "First used " (when(at)) "." }, None => "Not used yet." } } }
                    (button(staff, g, "end", "End now"))
                }
            }
            h2 { "Disclosures to authorities" }
            @if disclosures.is_empty() { p { "The platform has recorded no legally forced disclosure of your shop's data." } }
            @for d in disclosures {
                section.card {
                    p { strong { (d.authority) } " · " (d.jurisdiction) " · recorded " (when(d.recorded_at)) }
                    p { "Instrument: " (d.instrument) }
                    p { "Classes: " (d.classes.join(", ")) " · subjects: " (d.subjects) }
                    @if let (Some(order), Some(until)) = (&d.gag_order, d.gag_until) {
                        p { small { "An order (" (order) ") forbade telling you until " (when(until)) "." } }
                    }
                }
            }
            h2 { "History" }
            @if past.is_empty() { p { "Nothing yet." } } @else {
                table tabindex="0" {
                    thead { tr { th { "Asked" } th { "Who" } th { "Classes" } th { "Purpose" } th { "Outcome" } } }
                    tbody {
                        @for g in &past {
                            tr {
                                td { (when(g.requested_at)) }
                                td { (who(g)) }
                                td { (g.classes.join(", ")) }
                                td { (g.purpose_label()) @if let Some(t) = &g.ticket { " · " (t) } }
                                td {
                                    @if g.status == "pending" { "lapsed" } @else if g.status == "approved" { "ran out" } @else { (g.status) }
                                    @if let Some(at) = g.ended_at { " " (when(at)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn list(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let grants = access::list(&state, &staff).await?;
    let disclosures = access::disclosures(&state, &staff).await?;
    let done = match q.done.as_deref() {
        Some("approved") => {
            Some("Approved. The operator can see the classes you approved until the grant ends.")
        }
        Some("denied") => Some("Denied. Nothing was opened."),
        Some("ended") => Some("Ended. The operator's next request is refused."),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        markup(&staff, &grants, &disclosures, state.clock.now(), done),
    ))
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
}
csrf_forms!(DecideForm);

async fn approve(
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    CheckedForm(staff, _, _): CheckedForm<Staff, DecideForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let result = access::approve(&state, &staff, id)
        .await
        .map(|_| Redirect::to("/access?done=approved").into_response());
    or_reauth(result, "/access")
}

async fn deny(
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    CheckedForm(staff, _, _): CheckedForm<Staff, DecideForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    access::deny(&state, &staff, id).await?;
    Ok(Redirect::to("/access?done=denied").into_response())
}

async fn end(
    State(state): State<AppState>,
    PathParams(id): PathParams<Uuid>,
    CheckedForm(staff, _, _): CheckedForm<Staff, DecideForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    access::end(&state, &staff, id).await?;
    Ok(Redirect::to("/access?done=ended").into_response())
}
