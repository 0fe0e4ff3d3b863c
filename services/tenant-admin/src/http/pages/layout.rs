//! The console's layout and the helpers every page shares.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::PRE_LOGIN_CSRF;
use platform_domain::Permission;

tokio::task_local! {
    /// The path of the request being answered, so the menu can mark where the member is.
    static CURRENT_PATH: String;
}

/// Middleware: answers the request with its path known to [`layout`].
pub async fn with_path(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path().to_owned();
    CURRENT_PATH.scope(path, next.run(request)).await
}

/// A menu link, marked `aria-current="page"` when it is where the member is (the home
/// page exactly; a section also on its sub-pages, unless a more specific link exists).
fn item(href: &'static str, label: &str) -> Markup {
    let current = CURRENT_PATH
        .try_with(|path| {
            path == href
                || (href != "/"
                    && path.starts_with(href)
                    && path[href.len()..].starts_with('/')
                    && !MORE_SPECIFIC
                        .iter()
                        .any(|m| *m != href && m.starts_with(href) && path.starts_with(m)))
        })
        .unwrap_or(false);
    html! {
        a href=(href) aria-current=[current.then_some("page")] { (label) }
    }
}

/// Menu links under another menu link's path.
const MORE_SPECIFIC: &[&str] = &[
    "/products/new",
    "/settings/checkout",
    "/settings/look",
    "/settings/payments",
    "/settings/retention",
];

/// A page of the console: its title, the navigation of a logged-in staff member, the body.
pub fn layout(title: &str, staff: Option<&Staff>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Shop admin" }
                link rel="stylesheet" href="/assets/admin.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Shop admin" }
                    @if let Some(staff) = staff {
                        @let may = |p: Permission| staff.roles.may(p);
                        nav aria-label="Console" {
                            (item("/", "Home"))
                            @if may(Permission::ViewOrders) { (item("/orders", "Orders")) }
                            @if may(Permission::HandleRequests) { (item("/requests", "Data requests")) }
                            (item("/products", "Products"))
                            @if may(Permission::SendNewsletter) { (item("/newsletter", "Newsletter")) }
                            @if may(Permission::ManageCatalog) {
                                (item("/products/new", "New product"))
                                (item("/collections", "Collections"))
                                (item("/catalog", "Import/export"))
                            }
                            @if may(Permission::ManageShop) {
                                (item("/settings", "Settings"))
                                (item("/settings/look", "Look"))
                                (item("/settings/checkout", "Checkout"))
                                (item("/settings/payments", "Payment keys"))
                                (item("/privacy", "Privacy policy"))
                                (item("/settings/retention", "Retention"))
                                (item("/export", "Export the shop"))
                                (item("/close", "Close the shop"))
                            }
                            @if may(Permission::ManageStaff) {
                                (item("/staff", "Staff"))
                                (item("/audit", "Audit log"))
                                (item("/access", "Platform access"))
                            }
                            (item("/account/security", "Your security"))
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(staff.csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main {
                    @if staff.is_some_and(|s| s.break_glass && s.roles.may(Permission::ManageStaff)) {
                        p.error role="alert" { "The platform's staff hold emergency access to your shop's personal data right now. " a href="/access" { "See who, why, and end it" } "." }
                    }
                    @if let Some(at) = staff.and_then(|s| s.closes_at) {
                        p.error role="alert" {
                            "This shop closes on " (at.format("%-d %B %Y at %H:%M UTC")) ": then every record of it is deleted for good. "
                            @if staff.is_some_and(|s| s.roles.may(Permission::ManageShop)) {
                                a href="/close" { "Cancel the closing" } "."
                            } @else {
                                "An owner can still cancel it."
                            }
                        }
                    }
                    @if staff.is_some_and(|s| s.mfa_missing) {
                        p.error role="alert" { "A second factor is required of you: your roles are paused until you " a href="/account/security" { "set it up" } "." }
                    }
                    (body)
                }
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

/// A refused form: what went wrong and, by its code, which field it is about.
pub struct Problem {
    /// What went wrong, for the person who typed it.
    pub message: String,
    /// The field it is about: `product.title_invalid` is about `title`,
    /// `look.accent_too_light` about `accent…`, a malformed amount about `price`.
    field: Option<String>,
}

impl Problem {
    /// The problem an input error is (its status too); any other error passes on to the
    /// error page.
    pub fn of(e: ApiError) -> Result<(StatusCode, Problem), ApiError> {
        if e.is_input_problem() {
            let (status, code, message) = e.describe();
            Ok((
                status,
                Problem {
                    message: message.into_owned(),
                    field: field_of(code).map(str::to_owned),
                },
            ))
        } else {
            Err(e)
        }
    }

    /// [`Problem::of`] for a form whose codes do not name its fields: `(code, field)`
    /// pairs, where a code stands for every code it begins (`email.` for `email.invalid`).
    pub fn of_coded(
        e: ApiError,
        fields: &[(&str, &str)],
    ) -> Result<(StatusCode, Problem), ApiError> {
        let (_, code, _) = e.describe();
        let (status, problem) = Problem::of(e)?;
        Ok((status, problem.named(code, fields)))
    }

    /// A problem said by `code` and `message` (as [`Problem::of_coded`] names fields).
    pub fn coded(code: &'static str, message: String, fields: &[(&str, &str)]) -> Problem {
        Problem {
            message,
            field: field_of(code).map(str::to_owned),
        }
        .named(code, fields)
    }

    /// A problem said by `message` about the form field `field` (none: the whole form).
    pub fn at(message: String, field: Option<&str>) -> Problem {
        Problem {
            message,
            field: field.map(str::to_owned),
        }
    }

    fn named(mut self, code: &str, fields: &[(&str, &str)]) -> Problem {
        if let Some((_, f)) = fields.iter().find(|(c, _)| code.starts_with(c)) {
            self.field = Some((*f).to_owned());
        }
        self
    }

    /// Whether it is about the field named `name` (`accent` is about `accent_color`).
    pub fn is_about(&self, name: &str) -> bool {
        self.field.as_deref().is_some_and(|f| {
            name == f
                || name
                    .strip_prefix(f)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
    }
}

/// The field a code names, by the platform's code shapes.
fn field_of(code: &'static str) -> Option<&'static str> {
    match code {
        c if c.starts_with("money.") => Some("price"),
        "image.alt_too_long" => Some("alt"),
        c if c.starts_with("image.") => Some("picture"),
        "staff.email_taken" | "staff.already_invited" | "staff.already_member" => Some("email"),
        c => {
            let (_, key) = c.split_once('.')?;
            [
                "_invalid",
                "_taken",
                "_too_light",
                "_too_long",
                "_full",
                "_required",
            ]
            .iter()
            .find_map(|suffix| key.strip_suffix(suffix))
        }
    }
}

/// How a field shows a problem about it: marked invalid, described by the message
/// placed right after it (announced, since no script moves the focus there).
pub struct FieldMark {
    /// `aria-invalid`.
    pub invalid: Option<&'static str>,
    /// `aria-describedby`: the message's id.
    pub described_by: Option<String>,
    /// The message, for right after the field.
    pub note: Markup,
}

/// The mark of the field named `name` (with the element id `id`) for `problem`.
pub fn field(problem: Option<&Problem>, name: &str, id: &str) -> FieldMark {
    match problem.filter(|p| p.is_about(name)) {
        Some(p) => FieldMark {
            invalid: Some("true"),
            described_by: Some(format!("{id}-error")),
            note: html! { p.field-error id={ (id) "-error" } role="alert" { (p.message) } },
        },
        None => FieldMark {
            invalid: None,
            described_by: None,
            note: html! {},
        },
    }
}

/// The problem above a form when it is about none of `fields` (those show it beside
/// themselves).
pub fn form_problem(problem: Option<&Problem>, fields: &[&str]) -> Markup {
    error_box(
        problem
            .filter(|p| !fields.iter().any(|f| p.is_about(f)))
            .map(|p| p.message.as_str()),
    )
}

/// `?done=…` in the address a change redirects to (post/redirect/get): the page says
/// what went well. Only whether it is there counts, or a fixed key: never text from it.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    /// What was done.
    pub done: Option<String>,
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

/// A pre-login form page (sign-up, login) with a fresh double-submit token.
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

/// Lines of a text area, trimmed, without blank ones.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The console's error pages: its layout, the problem, the reference, a way back.
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
                    p.small { "Reference for support: " code { (id) } }
                }
                p { a href="/" { "Back to the console" } }
            },
        )
        .into_string()
    }
}

/// A file to download (`Content-Disposition: attachment`).
pub fn attachment(body: Vec<u8>, kind: &'static str, filename: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
