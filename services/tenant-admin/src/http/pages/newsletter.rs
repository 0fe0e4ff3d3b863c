//! The newsletter in the console (O17): how many people subscribed and confirmed (never
//! who), a plain-text newsletter written, previewed as it will arrive (with the
//! unsubscribe link the platform adds), then sent to every confirmed subscriber; and
//! how the copies of each one fared.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_orders_api::{ErrorCode, Newsletters};
use platform_web::QueryParams;
use serde::Deserialize;

use super::layout::{layout, notice, page};
use crate::app::AppState;
use crate::app::newsletters;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{NewsletterSender, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsletter", get(newsletter_page).post(edit))
        .route("/newsletter/review", post(review))
        .route("/newsletter/send", post(send))
}

#[derive(Deserialize, Default)]
struct Draft {
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

csrf_forms!(Draft);

fn compose(staff: &Staff, overview: &Newsletters, draft: &Draft, error: Option<&str>) -> Markup {
    html! {
        form.card method="post" action="/newsletter/review" {
            input type="hidden" name="csrf" value=(staff.csrf);
            label for="subject" { "Subject" }
            input #subject name="subject" required maxlength="200" value=(draft.subject)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "newsletter-problem")];
            label for="body" { "Text (plain text; paragraphs kept as you type them)" }
            textarea #body name="body" rows="12" required maxlength="20000" { (draft.body) }
            @if let Some(message) = error { p #newsletter-problem.error role="alert" { (message) } }
            p.small { "It goes to the " (overview.subscribers.confirmed) " people who asked for your news and confirmed by email; each copy ends with a one-click unsubscribe link." }
            button type="submit" { "Preview" }
        }
    }
}

fn markup(
    staff: &Staff,
    overview: &Newsletters,
    draft: &Draft,
    done: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let s = &overview.subscribers;
    layout(
        "Newsletter",
        Some(staff),
        html! {
            h1 { "Newsletter" }
            (notice(done))
            p {
                strong { (s.confirmed) } " confirmed subscribers · " (s.pending) " waiting to confirm · " (s.withdrawn) " unsubscribed. "
                "People subscribe by ticking the box at checkout or on your shop's newsletter page, then confirm by a link we mail them. Nobody else is ever sent a newsletter, and nobody's address is shown here."
            }
            (compose(staff, overview, draft, error))
            section aria-labelledby="sent" {
                h2 #sent { "Sent" }
                @if overview.sent.is_empty() { p { "None yet." } }
                @if !overview.sent.is_empty() {
                    table tabindex="0" {
                        thead { tr { th scope="col" { "Sent" } th scope="col" { "Subject" } th scope="col" { "Recipients" } th scope="col" { "Delivered" } th scope="col" { "Unsubscribed before it left" } th scope="col" { "Waiting" } } }
                        tbody {
                            @for n in &overview.sent {
                                tr {
                                    td { (n.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td { (n.subject) }
                                    td { (n.recipients) }
                                    td { (n.delivered) }
                                    td { (n.withdrawn) }
                                    td { (n.waiting) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize, Default)]
struct Sent {
    sent: Option<i64>,
}

async fn newsletter_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<NewsletterSender, Staff>,
    QueryParams(q): QueryParams<Sent>,
) -> Result<Response, ApiError> {
    let overview = newsletters::overview(&state, &staff).await?;
    let done = q
        .sent
        .map(|n| format!("Sent to {n} confirmed subscribers. Copies leave over the next minutes."));
    Ok(page(
        StatusCode::OK,
        markup(&staff, &overview, &Draft::default(), done.as_deref(), None),
    ))
}

/// Back from the preview, to change the text.
async fn edit(
    State(state): State<AppState>,
    CheckedForm(staff, draft, _): CheckedForm<Staff, Draft, NewsletterSender>,
) -> Result<Response, ApiError> {
    let overview = newsletters::overview(&state, &staff).await?;
    Ok(page(
        StatusCode::OK,
        markup(&staff, &overview, &draft, None, None),
    ))
}

/// What is wrong with a draft, before anything is sent.
fn problem(draft: &Draft) -> Option<&'static str> {
    let subject = draft.subject.trim();
    if subject.is_empty() || subject.chars().count() > 200 {
        Some("Please give a subject of at most 200 characters.")
    } else if draft.body.trim().is_empty() || draft.body.chars().count() > 20_000 {
        Some("Please write the newsletter, in at most 20,000 characters.")
    } else {
        None
    }
}

async fn review(
    State(state): State<AppState>,
    CheckedForm(staff, draft, _): CheckedForm<Staff, Draft, NewsletterSender>,
) -> Result<Response, ApiError> {
    let overview = newsletters::overview(&state, &staff).await?;
    if let Some(message) = problem(&draft) {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            markup(&staff, &overview, &draft, None, Some(message)),
        ));
    }
    let confirmed = overview.subscribers.confirmed;
    Ok(page(
        StatusCode::OK,
        layout(
            "Preview the newsletter",
            Some(&staff),
            html! {
                h1 { "Preview" }
                p { "This is how it arrives. Nothing is sent until you press Send." }
                section.card {
                    p { strong { "Subject: " } (draft.subject.trim()) }
                    pre.mail { (draft.body.trim_end()) "\n\n-- \nYou receive this because you subscribed to news from your shop on <date>.\nUnsubscribe with one click: <link>" }
                }
                @if confirmed == 0 {
                    p.error role="alert" { "Nobody has confirmed a subscription yet: there is nobody to send it to." }
                }
                form method="post" action="/newsletter/send" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    input type="hidden" name="subject" value=(draft.subject);
                    input type="hidden" name="body" value=(draft.body);
                    button type="submit" disabled[confirmed == 0] { "Send to " (confirmed) " confirmed subscribers" }
                }
                form method="post" action="/newsletter" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    input type="hidden" name="subject" value=(draft.subject);
                    input type="hidden" name="body" value=(draft.body);
                    button.secondary type="submit" { "Change it" }
                }
            },
        ),
    ))
}

async fn send(
    State(state): State<AppState>,
    CheckedForm(staff, draft, _): CheckedForm<Staff, Draft, NewsletterSender>,
) -> Result<Response, ApiError> {
    let refused = match problem(&draft) {
        Some(message) => Some(message.to_owned()),
        None => match newsletters::send(&state, &staff, &draft.subject, &draft.body).await {
            Ok(sent) => {
                return Ok(
                    Redirect::to(&format!("/newsletter?sent={}", sent.recipients)).into_response(),
                );
            }
            Err(ApiError::OrdersRefused {
                code: ErrorCode::NewsletterInvalid,
                message,
                ..
            }) => Some(message),
            Err(e) => return Err(e),
        },
    };
    let overview = newsletters::overview(&state, &staff).await?;
    Ok(page(
        StatusCode::UNPROCESSABLE_ENTITY,
        markup(&staff, &overview, &draft, None, refused.as_deref()),
    ))
}
