//! The console's layout and the helpers every page shares.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use platform_domain::PlatformRole;

use crate::app::operator::Operator;
use crate::error::ApiError;
use crate::http::auth::PRE_LOGIN_CSRF;

/// A page of the console.
pub fn layout(title: &str, op: Option<&Operator>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Platform operations" }
                link rel="stylesheet" href="/assets/console.css";
                link rel="stylesheet" href="/assets/ops.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Platform operations" }
                    @if let Some(op) = op {
                        nav {
                            @if op.roles.iter().any(PlatformRole::may_request_grants) {
                                a href="/" { "Your grants" }
                                a href="/grants/new" { "Ask for access" }
                            }
                            @if op.roles.contains(PlatformRole::Security) {
                                a href="/break-glass" { "Break-glass" }
                            }
                            @if op.roles.contains(PlatformRole::Security) {
                                a href="/staff" { "Staff" }
                                a href="/review" { "Access review" }
                                a href="/disclosures" { "Disclosures" }
                            }
                            span { (op.login) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(op.csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The problem with a submitted form, above it.
pub fn error_box(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.error role="alert" { (m) }
        }
    }
}

/// A notice after something went well.
pub fn notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = message {
            p.notice role="status" { (n) }
        }
    }
}

/// A rendered page with a status.
pub fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// The login page with a fresh double-submit token.
pub fn pre_login_page(status: StatusCode, render: impl FnOnce(&str) -> Markup) -> Response {
    let (token, cookie) = PRE_LOGIN_CSRF.issue();
    let mut r = page(status, render(&token));
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An input problem (status and message) to show beside the form that caused it; any
/// other error passes on to the error page.
pub fn input_problem(e: ApiError) -> Result<(StatusCode, String), ApiError> {
    if e.is_input_problem() {
        let (status, _, message) = e.describe();
        Ok((status, message.into_owned()))
    } else {
        Err(e)
    }
}

/// A time as the console shows it (UTC).
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The console's error pages.
pub struct ConsoleErrorPage;

impl platform_web::ErrorPage for ConsoleErrorPage {
    fn render(&self, error: &platform_web::ErrorView<'_>) -> String {
        layout(
            error.title(),
            None,
            html! {
                h1 { (error.title()) }
                p.error role="alert" { (error.message) }
                @if let Some(id) = error.request_id {
                    p { small { "Reference: " code { (id) } } }
                }
                p { a href="/" { "Back to the console" } }
            },
        )
        .into_string()
    }
}
