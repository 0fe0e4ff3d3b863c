//! The access review and the disclosure log in the console (security officers).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::PlatformRole;
use platform_web::PathParams;
use serde::Deserialize;
use uuid::Uuid;

use super::layout::{error_box, input_problem, layout, page, when};
use crate::app::AppState;
use crate::app::disclosures::{self, DisclosureInput, DisclosureView};
use crate::app::operator::Operator;
use crate::app::review;
use crate::error::ApiError;
use crate::http::auth::{SecurityOfficer, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/review", get(report))
        .route("/staff/{id}/roles/{role}/confirm", post(confirm))
        .route("/disclosures", get(disclosure_log).post(record))
}

async fn report(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<SecurityOfficer, Operator>,
) -> Result<Response, ApiError> {
    let members = review::report(&state, &op).await?;
    let now = state.clock.now();
    Ok(page(
        StatusCode::OK,
        layout(
            "Access review",
            Some(&op),
            html! {
                h1 { "Access review" }
                p { "A role must be re-confirmed by a security officer every 90 days and used at least every 30; otherwise the sweep removes it. Nobody re-confirms their own." }
                table {
                    thead { tr { th { "Member" } th { "Roles" } th { "Grants asked / used" } th { "Last use of a grant" } th { "Last login" } } }
                    tbody {
                        @for m in &members {
                            tr {
                                td { (m.login) br; small { (m.entity) } }
                                td {
                                    @for r in &m.roles {
                                        (r.role.label()) " — confirm by " (when(r.confirm_by)) ", use by " (when(r.use_by))
                                        @if r.confirm_by - now < chrono::Duration::days(14) || r.use_by - now < chrono::Duration::days(7) { strong { " (due soon)" } }
                                        @if m.id != op.id {
                                            form.inline method="post" action={ "/staff/" (m.id) "/roles/" (r.role.as_str()) "/confirm" } {
                                                input type="hidden" name="csrf" value=(op.csrf);
                                                button type="submit" { "Re-confirm" }
                                            }
                                        }
                                        br;
                                    }
                                }
                                td { (m.grants_requested) " / " (m.grants_used) }
                                td { (m.last_grant_use.map(when).unwrap_or_else(|| "never".to_owned())) }
                                td { (m.last_login_at.map(when).unwrap_or_else(|| "never".to_owned())) }
                            }
                        }
                    }
                }
            },
        ),
    ))
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
}
csrf_forms!(ConfirmForm);

async fn confirm(
    State(state): State<AppState>,
    PathParams((id, role)): PathParams<(Uuid, PlatformRole)>,
    CheckedForm(op, _, _): CheckedForm<Operator, ConfirmForm, SecurityOfficer>,
) -> Result<Response, ApiError> {
    review::confirm(&state, &op, id, role).await?;
    Ok(Redirect::to("/review").into_response())
}

#[derive(Deserialize, Default)]
struct DisclosureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    instrument: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    subjects: String,
    #[serde(default)]
    gag_order: String,
    #[serde(default)]
    gag_until: String,
    #[serde(flatten)]
    boxes: super::ClassBoxes,
}
csrf_forms!(DisclosureForm);

fn log_markup(
    op: &Operator,
    list: &[DisclosureView],
    f: &DisclosureForm,
    error: Option<&str>,
) -> Markup {
    layout(
        "Disclosures",
        Some(op),
        html! {
            h1 { "Legally forced disclosures" }
            p { "Record every disclosure of a shop's data the law forced on the platform. Its owners see it at once, or when a non-disclosure order ends." }
            table {
                thead { tr { th { "Recorded" } th { "Shop" } th { "Authority" } th { "Classes" } th { "Owners told" } } }
                tbody {
                    @for d in list {
                        tr {
                            td { (when(d.recorded_at)) }
                            td { (d.shop) }
                            td { (d.authority) br; small { (d.instrument) " · " (d.jurisdiction) } }
                            td { (d.classes.join(", ")) }
                            td {
                                @match (d.notified_at, d.gag_until) {
                                    (Some(at), _) => { (when(at)) },
                                    (None, Some(until)) => { "after the order ends, " (when(until)) },
                                    (None, None) => "pending",
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Record a disclosure" }
            (error_box(error))
            form.card method="post" action="/disclosures" {
                input type="hidden" name="csrf" value=(op.csrf);
                label for="shop" { "Shop handle" }
                input #shop name="shop" required value=(f.shop);
                label for="authority" { "Authority" }
                input #authority name="authority" required value=(f.authority);
                label for="instrument" { "Legal instrument and reference" }
                input #instrument name="instrument" required value=(f.instrument);
                label for="jurisdiction" { "Jurisdiction" }
                input #jurisdiction name="jurisdiction" required value=(f.jurisdiction);
                label for="subjects" { "Data subjects concerned" }
                textarea #subjects name="subjects" rows="3" required { (f.subjects) }
                (f.boxes.fieldset("Classes handed over"))
                label for="gag_order" { "Non-disclosure order (if any)" }
                input #gag_order name="gag_order" value=(f.gag_order);
                label for="gag_until" { "It forbids telling the merchant until (UTC date)" }
                input #gag_until name="gag_until" type="date" value=(f.gag_until);
                button type="submit" { "Record" }
            }
        },
    )
}

async fn disclosure_log(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<SecurityOfficer, Operator>,
) -> Result<Response, ApiError> {
    let list = disclosures::all(&state, &op).await?;
    Ok(page(
        StatusCode::OK,
        log_markup(&op, &list, &DisclosureForm::default(), None),
    ))
}

async fn record(
    State(state): State<AppState>,
    CheckedForm(op, form, _): CheckedForm<Operator, DisclosureForm, SecurityOfficer>,
) -> Result<Response, ApiError> {
    let gag_until = match form.gag_until.trim() {
        "" => Ok(None),
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| {
                ApiError::invalid(
                    "disclosure.gag_invalid",
                    "The end of the order is not a date.",
                )
            }),
    };
    let outcome = match gag_until {
        Err(e) => Err(e),
        Ok(gag_until) => {
            let input = DisclosureInput {
                shop: form.shop.clone(),
                authority: form.authority.clone(),
                instrument: form.instrument.clone(),
                jurisdiction: form.jurisdiction.clone(),
                classes: form.boxes.classes(),
                subjects: form.subjects.clone(),
                gag_until,
                gag_order: Some(form.gag_order.clone()).filter(|g| !g.trim().is_empty()),
            };
            disclosures::record(&state, &op, &input).await
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/disclosures").into_response()),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let list = disclosures::all(&state, &op).await?;
            Ok(page(status, log_markup(&op, &list, &form, Some(&message))))
        }
    }
}
