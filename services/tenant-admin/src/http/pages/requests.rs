//! Data requests in the console (O13, O14): the list with each deadline and the days left,
//! one request with the requester's details and the orders held, its answers, and a form
//! to open a request for a visitor who asked by phone or letter.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{OrderId, RequestId, RequestKind, RequestSource, RequestStatus};
use platform_orders_api::{Address, Contact, HeldOrder, RequestDetail, RequestSummary};
use platform_web::{PathParams, QueryParams};
use serde::Deserialize;

use super::account::or_reauth;
use super::layout::{Problem, field, form_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::requests::{self, Answer};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{RequestHandler, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(list_page))
        .route("/requests/{id}", get(detail_page))
        .route("/requests/{id}/extend", post(extend_submit))
        .route("/requests/{id}/answer", post(answer_submit))
        .route(
            "/requests/{id}/orders/{order}/correct",
            post(correct_submit),
        )
}

pub(super) fn kind_label(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => "Copy of their data",
        RequestKind::Correction => "Correction",
        RequestKind::Erasure => "Erasure",
    }
}

fn status_label(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Unverified => "Not confirmed",
        RequestStatus::Open => "Open",
        RequestStatus::Completed => "Answered",
        RequestStatus::Refused => "Refused",
    }
}

/// "12 days left", "due today", "3 days overdue".
fn days_left(r: &RequestSummary, today: NaiveDate) -> String {
    let Some(deadline) = r.deadline() else {
        return String::new();
    };
    if r.status != RequestStatus::Open {
        return String::new();
    }
    match (deadline - today).num_days() {
        0 => "due today".to_owned(),
        1 => "1 day left".to_owned(),
        n if n > 1 => format!("{n} days left"),
        -1 => "1 day overdue".to_owned(),
        n => format!("{} days overdue", -n),
    }
}

fn list_markup(staff: &Staff, list: &[RequestSummary]) -> Markup {
    let today = Utc::now().date_naive();
    layout(
        "Data requests",
        Some(staff),
        html! {
            h1 { "Data requests" }
            p { "Visitors ask for a copy of their data, a correction or erasure on your shop's privacy page, and confirm by a link we mail them. The law gives you one calendar month from confirmation to answer, once extendable by two more months with a reason. " a href="/requests/new" { "Open a request for someone who asked by phone or letter" } "." }
            @if list.is_empty() {
                p { "No requests yet." }
            } @else {
                table tabindex="0" {
                    thead { tr { th scope="col" { "Received" } th scope="col" { "Request" } th scope="col" { "Status" } th scope="col" { "Answer by" } th scope="col" { "" } } }
                    tbody {
                        @for r in list {
                            tr {
                                td { a href={ "/requests/" (r.id) } { (r.verified_at.unwrap_or(r.received_at).format("%Y-%m-%d")) } }
                                td { (kind_label(r.kind)) @if r.source == RequestSource::Merchant { " (opened by staff)" } }
                                td { (status_label(r.status)) }
                                td { @if let Some(d) = r.deadline() { (d.format("%-d %B %Y")) @if r.extended_to.is_some() { " (extended)" } } }
                                td { (days_left(r, today)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn list_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<RequestHandler, Staff>,
) -> Result<Response, ApiError> {
    let list = requests::list(&state, &staff).await?;
    Ok(page(StatusCode::OK, list_markup(&staff, &list.requests)))
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn done_text(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "export" => Some("The export was sent to the requester by a 3-day link."),
        "erase" => Some("Erased. The requester receives the certificate by mail."),
        "complete" => Some("Done: the requester is told their data was corrected."),
        "refuse" => Some("Refused: the requester receives your reason."),
        "extend" => Some("Extended: the requester receives your reason and the new deadline."),
        "correct" => Some("The order's details were corrected."),
        "opened" => Some("The request is open; its deadline runs from today."),
        _ => None,
    }
}

fn address_fields(prefix: &str, a: &Address, problem: Option<&Problem>) -> Markup {
    let input = |name: &str, label: &str, value: &str| {
        let id = format!("{prefix}-{name}");
        let mark = field(problem, name, &id);
        html! {
            label for=(id) { (label) }
            input id=(id) name=(name) value=(value)
                aria-invalid=[mark.invalid] aria-describedby=[mark.described_by];
            (mark.note)
        }
    };
    html! {
        (input("ship_name", "Recipient", &a.name))
        (input("line1", "Street and number", &a.line1))
        (input("line2", "Apartment, suite (optional)", &a.line2))
        (input("postal_code", "Postal code", &a.postal_code))
        (input("city", "City", &a.city))
        (input("region", "Region (optional)", &a.region))
        (input("country", "Country (two letters)", &a.country))
    }
}

/// A form on a request's page the orders service refused, as it was sent.
enum Sent<'a> {
    /// An answer (`step`) with its text.
    Answer { step: &'a str, text: &'a str },
    /// The extension.
    Extend { until: &'a str, reason: &'a str },
    /// One order's correction.
    Correct {
        order: OrderId,
        form: &'a CorrectForm,
    },
}

/// A refused form on a request's page: what was sent and what was wrong with it.
struct Refused<'a> {
    sent: Sent<'a>,
    problem: Problem,
}

impl Refused<'_> {
    /// The problem, when it is `step`'s answer form that was refused.
    fn answer(&self, step: &str) -> Option<(&str, &Problem)> {
        match self.sent {
            Sent::Answer { step: s, text } if s == step => Some((text, &self.problem)),
            _ => None,
        }
    }

    /// The problem and the typed correction, when it is `order`'s correction.
    fn correction(&self, order: OrderId) -> Option<(&CorrectForm, &Problem)> {
        match self.sent {
            Sent::Correct { order: o, form } if o == order => Some((form, &self.problem)),
            _ => None,
        }
    }

    /// The problem and the typed extension, when it is the extension.
    fn extension(&self) -> Option<(&str, &str, &Problem)> {
        match self.sent {
            Sent::Extend { until, reason } => Some((until, reason, &self.problem)),
            _ => None,
        }
    }
}

/// The form field an orders-service field names (`contact.email` is `email`,
/// `shipping.name` the recipient, `text` the answer's text box).
pub(super) fn form_field(field: &str) -> &str {
    match field {
        "shipping.name" => "ship_name",
        f => f
            .strip_prefix("contact.")
            .or_else(|| f.strip_prefix("shipping."))
            .unwrap_or(f),
    }
}

/// The order's correction form: as typed when it was refused, else as held.
fn correction_form(
    staff: &Staff,
    request: RequestId,
    o: &HeldOrder,
    refused: Option<&Refused>,
) -> Markup {
    let typed = refused.and_then(|r| r.correction(o.id));
    let problem = typed.map(|(_, p)| p);
    let held = o.contact.clone().unwrap_or_default();
    let (name, email, phone) = match typed {
        Some((f, _)) => (f.name.as_str(), f.email.as_str(), f.phone.as_str()),
        None => (held.name.as_str(), held.email.as_str(), held.phone.as_str()),
    };
    let address = match typed {
        Some((f, _)) => f.ship_name.as_ref().map(|name| f.address(name)),
        None => o.shipping.clone(),
    };
    let contact = |name: &str, label: &str, kind: &str, value: &str| {
        let id = format!("{name}-{}", o.id);
        let mark = field(problem, name, &id);
        html! {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-invalid=[mark.invalid] aria-describedby=[mark.described_by];
            (mark.note)
        }
    };
    html! {
        form method="post" action={ "/requests/" (request) "/orders/" (o.id) "/correct" } {
            input type="hidden" name="csrf" value=(staff.csrf);
            (form_problem(problem, CORRECTION_FIELDS))
            (contact("name", "Name", "text", name))
            (contact("email", "Email", "email", email))
            (contact("phone", "Phone", "text", phone))
            @if let Some(a) = &address { (address_fields(&o.id.to_string(), a, problem)) }
            button type="submit" { "Save the correction" }
        }
    }
}

/// The fields of a correction form.
const CORRECTION_FIELDS: &[&str] = &[
    "name",
    "email",
    "phone",
    "ship_name",
    "line1",
    "line2",
    "postal_code",
    "city",
    "region",
    "country",
];

/// A text box of an answer form, kept as typed and marked when it was refused.
fn answer_text(refused: Option<&Refused>, step: &str, id: &str, rows: Markup) -> Markup {
    let typed = refused.and_then(|r| r.answer(step));
    let problem = typed.map(|(_, p)| p);
    let mark = field(problem, "text", id);
    html! {
        (form_problem(problem, &["text"]))
        (rows)
        textarea id=(id) name="text" rows="2" maxlength="2000" minlength=[(step == "refuse").then_some("10")] required[step == "refuse"]
            aria-invalid=[mark.invalid] aria-describedby=[mark.described_by] {
            (typed.map(|(t, _)| t).unwrap_or(""))
        }
        (mark.note)
    }
}

fn detail_markup(
    staff: &Staff,
    d: &RequestDetail,
    done: Option<&str>,
    refused: Option<&Refused>,
) -> Markup {
    let r = &d.summary;
    let open = r.status == RequestStatus::Open;
    let title = format!("{} request", kind_label(r.kind));
    layout(
        &title,
        Some(staff),
        html! {
            h1 { (title) }
            (notice(done_text(done)))
            @if refused.is_some() {
                p.error role="alert" { "A form below was not sent: see the message in it." }
            }
            dl {
                dt { "From" } dd { @match &d.email { Some(e) => (e), None => "erased" } }
                dt { "Received" } dd { (r.received_at.format("%Y-%m-%d %H:%M UTC")) @if r.source == RequestSource::Merchant { ", opened by staff" } }
                @if let Some(v) = r.verified_at { dt { "Confirmed" } dd { (v.format("%Y-%m-%d %H:%M UTC")) } }
                dt { "Status" } dd { (status_label(r.status)) @if let Some(c) = r.closed_at { " on " (c.format("%Y-%m-%d")) } }
                @if let Some(due) = r.due_on { dt { "First deadline" } dd { (due.format("%-d %B %Y")) } }
                @if let Some(ext) = r.extended_to { dt { "Extended to" } dd { (ext.format("%-d %B %Y")) } }
                @if let Some(reason) = &d.extension_reason { dt { "Reason given" } dd { (reason) } }
                @if let Some(details) = &d.details { dt { "What they ask to correct" } dd { (details) } }
                @if let Some(outcome) = &d.outcome { dt { "Answer" } dd { (outcome) } }
                @if let Some(at) = d.export_expires_at { dt { "Export link" } dd { "works until " (at.format("%Y-%m-%d %H:%M UTC")) } }
            }
            section.card aria-labelledby="held" {
                h2 #held { "Orders under this address (" (d.orders.len()) ")" }
                @if d.orders.is_empty() { p { "None (or already erased)." } }
                @for o in &d.orders {
                    article.card {
                        h3 { a href={ "/orders/" (o.id) } { "Order " (o.reference) } " · " (o.placed_at.format("%Y-%m-%d")) " · " (o.status.as_str()) }
                        @if open && r.kind == RequestKind::Correction {
                            (correction_form(staff, r.id, o, refused))
                        } @else {
                            @if let Some(c) = &o.contact { p { (c.name) " · " (c.email) } }
                        }
                    }
                }
            }
            @if open {
                section.card aria-labelledby="answer" {
                    h2 #answer { "Answer" }
                    @match r.kind {
                        RequestKind::Access => {
                            form method="post" action={ "/requests/" (r.id) "/answer" } {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                input type="hidden" name="step" value="export";
                                (form_problem(refused.and_then(|f| f.answer("export")).map(|(_, p)| p), &[]))
                                p { "Sends the requester a link (3 days) to everything held about them: orders, contact and delivery details, mail sent, requests, who looked at their data, and why, who and how long (GDPR Art. 15)." }
                                button type="submit" { "Send the export" }
                            }
                        }
                        RequestKind::Correction => {
                            form method="post" action={ "/requests/" (r.id) "/answer" } {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                input type="hidden" name="step" value="complete";
                                (answer_text(refused, "complete", "note", html! { label for="note" { "Note to the requester (optional)" } }))
                                button type="submit" { "Mark corrected and tell them" }
                            }
                        }
                        RequestKind::Erasure => {
                            form method="post" action={ "/requests/" (r.id) "/answer" } {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                input type="hidden" name="step" value="erase";
                                (form_problem(refused.and_then(|f| f.answer("erase")).map(|(_, p)| p), &[]))
                                p { "Removes their name, email, phone, addresses, IP addresses and card details from every order and request, and destroys their keys, so backups cannot be read either. Order numbers, amounts, tax and country stay for your accounts. You and they receive a signed certificate. This cannot be undone; you will be asked for your password and code." }
                                button.danger type="submit" { "Erase their data" }
                            }
                        }
                    }
                    @if r.extended_to.is_none() {
                        @let typed = refused.and_then(Refused::extension);
                        @let problem = typed.map(|(_, _, p)| p);
                        @let until = field(problem, "until", "until");
                        @let reason = field(problem, "reason", "reason");
                        form method="post" action={ "/requests/" (r.id) "/extend" } {
                            input type="hidden" name="csrf" value=(staff.csrf);
                            h3 { "Need more time?" }
                            (form_problem(problem, &["until", "reason"]))
                            label for="until" { "New deadline (at most two months after the first)" }
                            input #until name="until" type="date" required value=(typed.map(|(u, _, _)| u).unwrap_or(""))
                                aria-invalid=[until.invalid] aria-describedby=[until.described_by];
                            (until.note)
                            label for="reason" { "Reason, sent to the requester" }
                            textarea #reason name="reason" rows="2" minlength="10" maxlength="1000" required
                                aria-invalid=[reason.invalid] aria-describedby=[reason.described_by] {
                                (typed.map(|(_, r, _)| r).unwrap_or(""))
                            }
                            (reason.note)
                            button type="submit" { "Extend once" }
                        }
                    }
                    form method="post" action={ "/requests/" (r.id) "/answer" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        input type="hidden" name="step" value="refuse";
                        h3 { "Refuse" }
                        (answer_text(refused, "refuse", "refusal", html! { label for="refusal" { "Why, sent to the requester (they may complain to their authority)" } }))
                        button.danger type="submit" { "Refuse the request" }
                    }
                }
            }
            @if let Some(c) = &d.certificate {
                section.card aria-labelledby="certificate" {
                    h2 #certificate { "Erasure certificate" }
                    h3 { "Erased" }
                    ul { @for s in &c.erased { li { strong { (s.topic) } ": " (s.text) } } }
                    h3 { "Kept" }
                    ul { @for k in &c.kept { li { (k.what) ". " (k.why) " Until " (k.until) "." } } }
                    p { (c.backups.text) }
                    @if let Some(sig) = &c.signature { p.small { "Signed with the platform's key " code { (sig.key_id) } "." } }
                    details { summary { "The signed document (JSON)" } pre { (serde_json::to_string_pretty(c).unwrap_or_default()) } }
                }
            }
            p { a href="/requests" { "All requests" } }
        },
    )
}

async fn detail_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<RequestHandler, Staff>,
    PathParams(id): PathParams<String>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let id: RequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let detail = requests::detail(&state, &staff, id).await?;
    Ok(page(
        StatusCode::OK,
        detail_markup(&staff, &detail, q.done.as_deref(), None),
    ))
}

/// A refusal from the orders service shown on the request's page, in the form that was
/// `sent` and as it was typed; anything else as is.
async fn or_shown(
    state: &AppState,
    staff: &Staff,
    id: RequestId,
    sent: Sent<'_>,
    result: Result<Response, ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Err(e @ ApiError::OrdersRefused { code, .. })
            if !matches!(
                code,
                platform_orders_api::ErrorCode::RequestNotFound
                    | platform_orders_api::ErrorCode::NotFound
            ) =>
        {
            let status = e.describe().0;
            let ApiError::OrdersRefused { message, field, .. } = e else {
                return Err(e);
            };
            let refused = Refused {
                sent,
                problem: Problem::at(message, field.as_deref().map(form_field)),
            };
            let detail = requests::detail(state, staff, id).await?;
            Ok(page(
                status,
                detail_markup(staff, &detail, None, Some(&refused)),
            ))
        }
        other => other,
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    csrf: String,
    step: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct ExtendForm {
    csrf: String,
    until: String,
    reason: String,
}

#[derive(Deserialize)]
struct CorrectForm {
    csrf: String,
    name: String,
    email: String,
    #[serde(default)]
    phone: String,
    ship_name: Option<String>,
    #[serde(default)]
    line1: String,
    #[serde(default)]
    line2: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    country: String,
}

csrf_forms!(AnswerForm, ExtendForm, CorrectForm);

impl CorrectForm {
    /// The typed shipping address (with its recipient, `name`).
    fn address(&self, name: &str) -> Address {
        Address {
            name: name.to_owned(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            country: self.country.trim().to_ascii_uppercase(),
        }
    }
}

async fn answer_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, form, _): CheckedForm<Staff, AnswerForm, RequestHandler>,
) -> Result<Response, ApiError> {
    let id: RequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let answer = Answer::parse(&form.step).ok_or(ApiError::NotFound)?;
    let result = requests::answer(&state, &staff, id, answer, &form.text)
        .await
        .map(|_| Redirect::to(&format!("/requests/{id}?done={}", form.step)).into_response());
    let result = or_reauth(result, &format!("/requests/{id}"));
    let sent = Sent::Answer {
        step: &form.step,
        text: &form.text,
    };
    or_shown(&state, &staff, id, sent, result).await
}

async fn extend_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, form, _): CheckedForm<Staff, ExtendForm, RequestHandler>,
) -> Result<Response, ApiError> {
    let id: RequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let result = requests::extend(&state, &staff, id, &form.until, &form.reason)
        .await
        .map(|_| Redirect::to(&format!("/requests/{id}?done=extend")).into_response());
    let sent = Sent::Extend {
        until: &form.until,
        reason: &form.reason,
    };
    or_shown(&state, &staff, id, sent, result).await
}

async fn correct_submit(
    State(state): State<AppState>,
    PathParams((id, order)): PathParams<(String, String)>,
    CheckedForm(staff, form, _): CheckedForm<Staff, CorrectForm, RequestHandler>,
) -> Result<Response, ApiError> {
    let id: RequestId = id.parse().map_err(|_| ApiError::NotFound)?;
    let order: OrderId = order.parse().map_err(|_| ApiError::NotFound)?;
    let contact = Contact {
        name: form.name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
    };
    let shipping = form.ship_name.as_ref().map(|name| form.address(name));
    let result = requests::correct(&state, &staff, order, contact, shipping)
        .await
        .map(|()| Redirect::to(&format!("/requests/{id}?done=correct")).into_response());
    let sent = Sent::Correct { order, form: &form };
    or_shown(&state, &staff, id, sent, result).await
}
