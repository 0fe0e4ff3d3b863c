//! The member's own security in the console: the code step of a login, the second
//! factor (set up, recovery codes, off), re-authentication before sensitive actions, the
//! open sessions with revoke, and the owners' switch that requires a second factor of
//! every member.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_web::{ClientIp, FormBody, PathParams, QueryParams};
use secrecy::SecretString;

use super::layout::{
    Problem, error_box, field, form_problem, layout, notice, page, pre_login_page,
};
use crate::app::AppState;
use crate::app::mfa::{self, Enrolment, Security};
use crate::app::staff::{SESSION, Staff};
use crate::error::ApiError;
use crate::http::auth::{PRE_LOGIN_CSRF, StaffAdmin};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/code", get(code_page).post(code_submit))
        .route("/account/security", get(security_page))
        .route("/account/mfa/start", post(start_submit))
        .route("/account/mfa/confirm", post(confirm_submit))
        .route("/account/mfa/recovery", post(recovery_submit))
        .route("/account/mfa/disable", post(disable_submit))
        .route("/account/sessions/{id}/revoke", post(revoke_session_submit))
        .route("/account/reauth", get(reauth_page).post(reauth_submit))
        .route("/staff/mfa-policy", post(policy_submit))
}

/// A page-local path to return to (never another origin).
fn local(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Sends a sensitive action that needs a fresh login to the re-authentication page,
/// which brings the member back to `back`.
pub fn or_reauth(result: Result<Response, ApiError>, back: &str) -> Result<Response, ApiError> {
    match result {
        Err(ApiError::ReauthRequired) => Ok(Redirect::to(&format!(
            "/account/reauth?{}",
            serde_urlencoded::to_string([("next", back)]).unwrap_or_default()
        ))
        .into_response()),
        other => other,
    }
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

fn code_markup(csrf: &str, next: &str, problem: Option<&Problem>) -> Markup {
    let mark = field(problem, "code", "code");
    layout(
        "Your code",
        None,
        html! {
            h1 { "Your code" }
            p { "Type the 6-digit code your authenticator app shows for this shop, or one of your recovery codes." }
            (form_problem(problem, &["code"]))
            form method="post" action="/login/code" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="code" { "Code" }
                input #code name="code" required autocomplete="one-time-code" inputmode="text" maxlength="20" autofocus
                    aria-invalid=[mark.invalid] aria-describedby=[mark.described_by];
                (mark.note)
                button type="submit" { "Log in" }
            }
            p.small { a href="/login" { "Start again" } }
        },
    )
}

async fn code_page(QueryParams(q): QueryParams<Next>) -> Response {
    let next = local(q.next.as_deref());
    pre_login_page(StatusCode::OK, |t| code_markup(t, &next, None))
}

#[derive(serde::Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
    #[serde(default)]
    next: String,
}

async fn code_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<CodeForm>,
) -> Result<Response, ApiError> {
    if !PRE_LOGIN_CSRF.check(&headers, &form.csrf) {
        return Err(ApiError::Csrf);
    }
    let next = local(Some(&form.next));
    let Some((scope, token)) = SESSION.read(&headers) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Ok(tenant) = scope.parse() else {
        return Ok(Redirect::to("/login").into_response());
    };
    match mfa::second_factor(&state, ip, tenant, &token, &form.code).await {
        Ok(_) => Ok(Redirect::to(&next).into_response()),
        Err(ApiError::Unauthenticated) => Ok(Redirect::to("/login").into_response()),
        Err(e) => {
            // Too many tries is about the form, not the code typed.
            let (status, problem) = match e {
                ApiError::Throttled(..) => {
                    let (s, _, m) = e.describe();
                    (s, Problem::at(m.into_owned(), None))
                }
                other => Problem::of_coded(other, &[("auth.invalid_code", "code")])?,
            };
            Ok(pre_login_page(status, |t| {
                code_markup(t, &next, Some(&problem))
            }))
        }
    }
}

struct Shown<'a> {
    notice: Option<&'a str>,
    /// A mistyped first code: said beside the code field of the enrolment shown again.
    problem: Option<&'a Problem>,
    enrolment: Option<&'a Enrolment>,
    codes: Option<&'a [String]>,
}

fn security_markup(staff: &Staff, s: &Security, shown: &Shown<'_>) -> Markup {
    layout(
        "Your security",
        Some(staff),
        html! {
            h1 { "Your security" }
            (notice(shown.notice))
            (form_problem(shown.problem, &["code"]))
            section.card aria-labelledby="factor" {
                h2 #factor { "Second factor" }
                @if let Some(codes) = shown.codes {
                    p.notice role="status" { "Your second factor is on. Keep these recovery codes somewhere safe: each works once if you lose your phone. They are shown only now." }
                    ul.codes { @for c in codes { li { code { (c) } } } }
                }
                @if let Some(e) = shown.enrolment {
                    p { "Add this account to your authenticator app: open the link on your phone, or type the key by hand." }
                    p { a href=(e.url) { "Open in the authenticator app" } }
                    p { "Key: " code #totp-secret { (e.secret) } }
                    @let mark = field(shown.problem, "code", "code");
                    form method="post" action="/account/mfa/confirm" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        label for="code" { "Then type the 6-digit code it shows" }
                        input #code name="code" required autocomplete="one-time-code" inputmode="numeric" maxlength="6"
                            aria-invalid=[mark.invalid] aria-describedby=[mark.described_by];
                        (mark.note)
                        button type="submit" { "Turn on" }
                    }
                } @else if s.mfa {
                    p { "On. " (s.recovery_codes_left) " recovery codes left." }
                    form method="post" action="/account/mfa/recovery" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        button type="submit" { "Make new recovery codes" }
                    }
                    @if !s.mfa_required {
                        form method="post" action="/account/mfa/disable" {
                            input type="hidden" name="csrf" value=(staff.csrf);
                            button.danger type="submit" { "Turn off" }
                        }
                    }
                } @else {
                    @if s.mfa_required {
                        p.error role="alert" { "A second factor is required of you. Until it is on, your roles are paused." }
                    } @else {
                        p { "Off. A code from an authenticator app on top of your password keeps your account safe even if the password leaks." }
                    }
                    form method="post" action="/account/mfa/start" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        button type="submit" { "Set up a second factor" }
                    }
                }
            }
            section.card aria-labelledby="sessions" {
                h2 #sessions { "Where you are logged in" }
                table tabindex="0" {
                    thead { tr { th scope="col" { "Client" } th scope="col" { "Since" } th scope="col" { "Last seen" } th scope="col" { span.visually-hidden { "Actions" } } } }
                    tbody {
                        @for x in &s.sessions {
                            tr {
                                td { (x.client) @if x.current { " (this one)" } }
                                td { (x.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                td { (x.last_seen_at.format("%Y-%m-%d %H:%M UTC")) }
                                td {
                                    form method="post" action={ "/account/sessions/" (x.id) "/revoke" } {
                                        input type="hidden" name="csrf" value=(staff.csrf);
                                        button.danger type="submit" { "Log out" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct Done {
    done: Option<String>,
}

async fn security_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let s = mfa::security(&state, &staff).await?;
    let notice = match q.done.as_deref() {
        Some("off") => Some("Second factor turned off."),
        Some("revoked") => Some("That session is logged out."),
        Some("welcome") => Some(
            "Your shop is ready and you are logged in. Owners protect it with a second factor: set it up below, then add your first product.",
        ),
        _ => None,
    };
    let shown = Shown {
        notice,
        problem: None,
        enrolment: None,
        codes: None,
    };
    Ok(page(StatusCode::OK, security_markup(&staff, &s, &shown)))
}

#[derive(serde::Deserialize)]
struct PlainForm {
    csrf: String,
}

#[derive(serde::Deserialize)]
struct ConfirmForm {
    csrf: String,
    code: String,
}

crate::http::auth::csrf_forms!(PlainForm, ConfirmForm);

async fn start_submit(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm>,
) -> Result<Response, ApiError> {
    let result = async {
        let enrolment = mfa::start(&state, &staff).await?;
        let s = mfa::security(&state, &staff).await?;
        let shown = Shown {
            notice: None,
            problem: None,
            enrolment: Some(&enrolment),
            codes: None,
        };
        Ok(page(StatusCode::OK, security_markup(&staff, &s, &shown)))
    }
    .await;
    or_reauth(result, "/account/security")
}

async fn confirm_submit(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, ConfirmForm>,
) -> Result<Response, ApiError> {
    let result = match mfa::confirm(&state, &staff, &form.code).await {
        Ok(codes) => {
            let s = mfa::security(&state, &staff).await?;
            let shown = Shown {
                notice: None,
                problem: None,
                enrolment: None,
                codes: Some(&codes),
            };
            Ok(page(StatusCode::OK, security_markup(&staff, &s, &shown)))
        }
        Err(ApiError::Invalid(i)) => {
            // Wrong first code: the same secret stays; show the key again to retry.
            let s = mfa::security(&state, &staff).await?;
            let enrolment = mfa::pending(&state, &staff).await?;
            let problem = Problem::at(i.message.into_owned(), Some("code"));
            let shown = Shown {
                notice: None,
                problem: Some(&problem),
                enrolment: enrolment.as_ref(),
                codes: None,
            };
            Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                security_markup(&staff, &s, &shown),
            ))
        }
        Err(e) => Err(e),
    };
    or_reauth(result, "/account/security")
}

async fn recovery_submit(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm>,
) -> Result<Response, ApiError> {
    let result = async {
        let codes = mfa::new_recovery_codes(&state, &staff).await?;
        let s = mfa::security(&state, &staff).await?;
        let shown = Shown {
            notice: None,
            problem: None,
            enrolment: None,
            codes: Some(&codes),
        };
        Ok(page(StatusCode::OK, security_markup(&staff, &s, &shown)))
    }
    .await;
    or_reauth(result, "/account/security")
}

async fn disable_submit(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm>,
) -> Result<Response, ApiError> {
    let result = mfa::disable(&state, &staff)
        .await
        .map(|()| Redirect::to("/account/security?done=off").into_response());
    or_reauth(result, "/account/security")
}

async fn revoke_session_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm>,
) -> Result<Response, ApiError> {
    mfa::revoke_session(&state, &staff, &id).await?;
    Ok(Redirect::to("/account/security?done=revoked").into_response())
}

fn reauth_markup(staff: &Staff, next: &str, error: Option<&str>) -> Markup {
    layout(
        "Confirm it is you",
        Some(staff),
        html! {
            h1 { "Confirm it is you" }
            p { "This action needs your password" @if !staff.mfa_missing { " and a code" } " again. It stays confirmed for 5 minutes." }
            (error_box(error))
            form method="post" action="/account/reauth" {
                input type="hidden" name="csrf" value=(staff.csrf);
                input type="hidden" name="next" value=(next);
                label for="password" { "Password" }
                input #password name="password" type="password" required autocomplete="current-password";
                label for="code" { "Code from your app (if your second factor is on)" }
                input #code name="code" autocomplete="one-time-code" maxlength="20";
                button type="submit" { "Confirm" }
            }
        },
    )
}

async fn reauth_page(
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Next>,
) -> Response {
    page(
        StatusCode::OK,
        reauth_markup(&staff, &local(q.next.as_deref()), None),
    )
}

#[derive(serde::Deserialize)]
struct ReauthForm {
    csrf: String,
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

crate::http::auth::csrf_forms!(ReauthForm);

async fn reauth_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CheckedForm(staff, form, _): CheckedForm<Staff, ReauthForm>,
) -> Result<Response, ApiError> {
    let next = local(Some(&form.next));
    match mfa::reauthenticate(
        &state,
        ip,
        &staff,
        SecretString::from(form.password),
        &form.code,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&next).into_response()),
        Err(e @ (ApiError::InvalidCredentials | ApiError::Throttled(..))) => {
            let (status, _, message) = e.describe();
            Ok(page(status, reauth_markup(&staff, &next, Some(&message))))
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
struct PolicyForm {
    csrf: String,
    required: Option<String>,
}

crate::http::auth::csrf_forms!(PolicyForm);

async fn policy_submit(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, PolicyForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let result = mfa::set_shop_policy(&state, &staff, form.required.is_some())
        .await
        .map(|()| Redirect::to("/staff?done=policy").into_response());
    or_reauth(result, "/staff")
}
