//! Logging in and out, and the home page: the operator's grants.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::PlatformRole;
use platform_web::{ClientIp, FormBody, QueryParams};
use secrecy::SecretString;
use serde::Deserialize;

use super::layout::{error_box, layout, notice, page, pre_login_page, when};
use crate::app::AppState;
use crate::app::grants;
use crate::app::operator::{self, LoginInput, Operator};
use crate::error::ApiError;
use crate::http::auth::{Certificate, PRE_LOGIN_CSRF, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout_submit))
}

#[derive(Deserialize, Default)]
struct HomeQuery {
    done: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    PageSession(op): PageSession<Operator>,
    QueryParams(q): QueryParams<HomeQuery>,
) -> Result<Response, ApiError> {
    let requester = op.roles.iter().any(PlatformRole::may_request_grants);
    let mine = if requester {
        grants::mine(&state, &op).await?
    } else {
        Vec::new()
    };
    let figures =
        if op.roles.contains(PlatformRole::Sre) || op.roles.contains(PlatformRole::Security) {
            Some(crate::app::metrics::now(&state, &op).await?)
        } else {
            None
        };
    let now = state.clock.now();
    let done = match q.done.as_deref() {
        Some("requested") => Some(
            "Asked. The shop's owners have been mailed; the grant starts when one of them approves.",
        ),
        Some("ended") => Some("Ended. The grant no longer opens anything."),
        Some("noted") => Some("Post-incident note saved."),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        layout(
            "Your grants",
            Some(&op),
            html! {
                h1 { "Your grants" }
                (notice(done))
                p {
                    "Roles: "
                    @for (i, r) in op.roles.iter().enumerate() {
                        @if i > 0 { ", " }
                        (r.label())
                    }
                    ". Shops see you as operator " code { (op.pseudonym) } " of " (op.entity) "."
                }
                @if let Some(m) = &figures {
                    h2 { "Platform figures" }
                    p { "Counts across shops; no shop's rows and no personal data. Health at " a href="/readyz" { "/readyz" } "." }
                    table {
                        tbody {
                            @for c in &m.shops { tr { th { "Shops " (c.label) } td { (c.count) } } }
                            @for c in &m.staff_roles { tr { th { "Platform staff: " (c.label) } td { (c.count) } } }
                            tr { th { "Open staff sessions" } td { (m.open_sessions) } }
                        }
                    }
                }
                @if requester && mine.is_empty() {
                    p { "No grants yet. " a href="/grants/new" { "Ask a shop for access" } "." }
                } @else if requester {
                    table {
                        thead { tr { th { "Shop" } th { "Classes" } th { "Purpose" } th { "Status" } th { "" } } }
                        tbody {
                            @for g in &mine {
                                tr {
                                    td { (g.shop) }
                                    td { (g.classes.join(", ")) }
                                    td { (g.purpose) @if let Some(t) = &g.ticket { " · " (t) } }
                                    td {
                                        @if g.is_active(now) {
                                            "active until " (g.ends_at.map(when).unwrap_or_default())
                                        } @else if g.status == "pending" {
                                            "waiting for the owners (until " (when(g.pending_until)) ")"
                                        } @else if g.status == "approved" {
                                            "ran out"
                                        } @else {
                                            (g.status)
                                        }
                                    }
                                    td {
                                        @if g.is_active(now) {
                                            a href={ "/shops/" (g.shop_id) "/orders" } { "Orders" }
                                        }
                                        @if g.note_missing() {
                                            form method="post" action={ "/break-glass/" (g.shop_id) "/" (g.id) "/note" } {
                                                input type="hidden" name="csrf" value=(op.csrf);
                                                label { "Post-incident note (due " (g.note_due_at.map(when).unwrap_or_default()) ")" }
                                                textarea name="note" rows="3" required minlength="40" {}
                                                button type="submit" { "Save note" }
                                            }
                                        }
                                        @if g.status == "pending" || g.is_active(now) {
                                            form.inline method="post" action={ "/grants/" (g.shop_id) "/" (g.id) "/end" } {
                                                input type="hidden" name="csrf" value=(op.csrf);
                                                button type="submit" { @if g.status == "pending" { "Withdraw" } @else { "End now" } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        ),
    ))
}

/// Where to go after logging in: a local path only.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

fn login_form(token: &str, login: &str, next: &str, error: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            h1 { "Platform staff login" }
            p { "Your client certificate was checked when this page opened. Give your password and the code of your authenticator." }
            (error_box(error))
            form.card method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label for="login" { "Login" }
                input #login name="login" required autocomplete="username" value=(login);
                label for="password" { "Password" }
                input #password name="password" type="password" required autocomplete="current-password";
                label for="code" { "Code" }
                input #code name="code" required inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}";
                button type="submit" { "Log in" }
            }
        },
    )
}

async fn login_page(QueryParams(q): QueryParams<LoginQuery>) -> Response {
    let next = local_path(q.next.as_deref()).to_owned();
    pre_login_page(StatusCode::OK, |t| login_form(t, "", &next, None))
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Certificate(cert): Certificate,
    FormBody(form): FormBody<LoginForm>,
) -> Result<Response, ApiError> {
    let outcome = if PRE_LOGIN_CSRF.check(&headers, &form.csrf) {
        let input = LoginInput {
            login: form.login.clone(),
            password: SecretString::from(form.password.clone()),
            code: form.code.clone(),
        };
        operator::login(&state, input, cert, ip).await
    } else {
        Err(ApiError::Csrf)
    };
    let next = local_path(Some(&form.next));
    match outcome {
        Ok(opened) => {
            let mut r = Redirect::to(next).into_response();
            r.headers_mut()
                .insert(header::SET_COOKIE, operator::cookie(&opened));
            Ok(r)
        }
        Err(e) => {
            let (status, _, message) = e.describe();
            if status.is_server_error() && !matches!(e, ApiError::Busy) {
                return Err(e);
            }
            Ok(pre_login_page(status, |t| {
                login_form(t, &form.login, next, Some(&message))
            }))
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}
csrf_forms!(LogoutForm);

async fn logout_submit(
    State(state): State<AppState>,
    CheckedForm(op, _, _): CheckedForm<Operator, LogoutForm>,
) -> Result<Response, ApiError> {
    operator::logout(&state, &op).await?;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, operator::SESSION.clear());
    Ok(r)
}
