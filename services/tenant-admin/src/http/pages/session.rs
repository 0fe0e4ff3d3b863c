//! Opening a shop, logging in and out.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::CheckedForm;
use platform_web::{ClientIp, FormBody, QueryParams};
use secrecy::SecretString;
use serde::Deserialize;

use super::layout::{Problem, error_box, field, form_problem, layout, notice, pre_login_page};
use crate::app::AppState;
use crate::app::shops::{self, SignupInput};
use crate::app::staff::{self, LoginInput, NewSession, SESSION, Staff};
use crate::error::ApiError;
use crate::http::auth::{PRE_LOGIN_CSRF, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(signup_page).post(signup_submit))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout_submit))
}

/// Where to go after logging in: a local path only, never another site.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

/// The status and message of a failed pre-login form: shown beside the form, unless the
/// failure is ours (then the error page).
fn refused(e: ApiError) -> Result<(StatusCode, String), ApiError> {
    let (status, _, message) = e.describe();
    if status.is_server_error() && !matches!(e, ApiError::Busy) {
        return Err(e);
    }
    Ok((status, message.into_owned()))
}

#[derive(Deserialize, Default)]
struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The sign-up's refusals, by the field they are about.
const SIGNUP_FIELDS: [(&str, &str); 6] = [
    ("signup.handle", "handle"),
    ("signup.host_taken", "handle"),
    ("signup.display_name", "display_name"),
    ("currency.", "currency"),
    ("email.", "email"),
    ("password.", "password"),
];

fn signup_form(token: &str, domain: &str, form: &SignupForm, problem: Option<&Problem>) -> Markup {
    let names = ["handle", "display_name", "currency", "email", "password"];
    let [handle, name, currency, email, password] = names.map(|n| field(problem, n, n));
    let handle_described = match &handle.described_by {
        Some(error) => format!("handle-help {error}"),
        None => "handle-help".to_owned(),
    };
    layout(
        "Open your shop",
        None,
        html! {
            h1 { "Open your shop" }
            (form_problem(problem, &names))
            form.card method="post" action="/signup" {
                input type="hidden" name="csrf" value=(token);
                label for="handle" { "Shop handle" }
                input #handle name="handle" required minlength="3" maxlength="40" pattern="[a-z0-9-]+" value=(form.handle)
                    aria-invalid=[handle.invalid] aria-describedby=(handle_described);
                small #handle-help { "Your shop will live at " code { "<handle>." (domain) } ". Letters a–z, digits and hyphens." }
                (handle.note)
                label for="display_name" { "Shop name" }
                input #display_name name="display_name" required maxlength="100" value=(form.display_name)
                    aria-invalid=[name.invalid] aria-describedby=[name.described_by];
                (name.note)
                label for="currency" { "Currency (ISO 4217): all your prices are in it" }
                input #currency name="currency" required minlength="3" maxlength="3" value=(if form.currency.is_empty() { "EUR" } else { &form.currency })
                    aria-invalid=[currency.invalid] aria-describedby=[currency.described_by];
                (currency.note)
                label for="email" { "Your email" }
                input #email name="email" type="email" required autocomplete="email" value=(form.email)
                    aria-invalid=[email.invalid] aria-describedby=[email.described_by];
                (email.note)
                label for="password" { "Password (at least 12 characters)" }
                input #password name="password" type="password" required minlength="12" autocomplete="new-password"
                    aria-invalid=[password.invalid] aria-describedby=[password.described_by];
                (password.note)
                button type="submit" { "Open shop" }
            }
            p { "Already have a shop? " a href="/login" { "Log in" } }
        },
    )
}

async fn signup_page(State(state): State<AppState>) -> Response {
    pre_login_page(StatusCode::OK, |t| {
        signup_form(t, &state.shop_domain, &SignupForm::default(), None)
    })
}

async fn signup_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<SignupForm>,
) -> Result<Response, ApiError> {
    let outcome = if PRE_LOGIN_CSRF.check(&headers, &form.csrf) {
        shops::signup(
            &state,
            ip,
            SignupInput {
                handle: form.handle.clone(),
                display_name: form.display_name.clone(),
                currency: form.currency.clone(),
                email: form.email.clone(),
                password: SecretString::from(form.password.clone()),
            },
        )
        .await
    } else {
        Err(ApiError::Csrf)
    };
    match outcome {
        Ok(created) => {
            // The new owner is logged in at once (the same login as the form's, so its
            // limits and audit apply); should that fail, the login page says the shop
            // is ready.
            let login = staff::login(
                &state,
                ip,
                &crate::http::auth::client_label(&headers, ip),
                LoginInput {
                    shop: created.handle.clone(),
                    email: form.email.clone(),
                    password: SecretString::from(form.password.clone()),
                },
            )
            .await;
            match login {
                Ok(session) => Ok(logged_in(
                    &session,
                    "/",
                    Some("/account/security?done=welcome"),
                )),
                Err(e) => {
                    tracing::warn!(code = e.describe().1, "logging in after sign-up failed");
                    Ok(
                        Redirect::to(&format!("/login?shop={}&created=1", created.handle))
                            .into_response(),
                    )
                }
            }
        }
        Err(e) => {
            let code = e.describe().1;
            let (status, message) = refused(e)?;
            let problem = Problem::coded(code, message, &SIGNUP_FIELDS);
            Ok(pre_login_page(status, |t| {
                signup_form(t, &state.shop_domain, &form, Some(&problem))
            }))
        }
    }
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    shop: Option<String>,
    created: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

struct LoginView<'a> {
    shop: &'a str,
    email: &'a str,
    next: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

fn login_form(token: &str, v: &LoginView<'_>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            h1 { "Log in to your shop" }
            (notice(v.notice))
            (error_box(v.error))
            form.card method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(v.next);
                label for="shop" { "Shop handle" }
                input #shop name="shop" required value=(v.shop);
                label for="email" { "Email" }
                input #email name="email" type="email" required autocomplete="username" value=(v.email);
                label for="password" { "Password" }
                input #password name="password" type="password" required autocomplete="current-password";
                button type="submit" { "Log in" }
            }
            p { "New here? " a href="/signup" { "Open a shop" } }
        },
    )
}

async fn login_page(QueryParams(q): QueryParams<LoginQuery>) -> Response {
    let view = LoginView {
        shop: q.shop.as_deref().unwrap_or(""),
        email: "",
        next: local_path(q.next.as_deref()),
        notice: q
            .created
            .is_some()
            .then_some("Your shop is ready. Log in to add products."),
        error: None,
    };
    pre_login_page(StatusCode::OK, |t| login_form(t, &view))
}

/// The answer to a successful login: the session cookie, and on to the code (a second
/// factor is on), the security page (one is required and missing; `setup` names the
/// page), or `next`.
fn logged_in(session: &NewSession, next: &str, setup: Option<&str>) -> Response {
    let target = if session.pending {
        format!(
            "/login/code?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
        )
    } else if session.staff.mfa_missing {
        setup.unwrap_or("/account/security").to_owned()
    } else {
        next.to_owned()
    };
    let mut r = Redirect::to(&target).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        SESSION.issue(&session.staff.tenant.to_string(), &session.token),
    );
    r
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    FormBody(form): FormBody<LoginForm>,
) -> Result<Response, ApiError> {
    let outcome = if PRE_LOGIN_CSRF.check(&headers, &form.csrf) {
        let input = LoginInput {
            shop: form.shop.clone(),
            email: form.email.clone(),
            password: SecretString::from(form.password.clone()),
        };
        staff::login(
            &state,
            ip,
            &crate::http::auth::client_label(&headers, ip),
            input,
        )
        .await
    } else {
        Err(ApiError::Csrf)
    };
    match outcome {
        Ok(session) => Ok(logged_in(&session, local_path(Some(&form.next)), None)),
        Err(e) => {
            let (status, message) = refused(e)?;
            let view = LoginView {
                shop: &form.shop,
                email: &form.email,
                next: local_path(Some(&form.next)),
                notice: None,
                error: Some(&message),
            };
            Ok(pre_login_page(status, |t| login_form(t, &view)))
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}
csrf_forms!(CsrfOnly);

async fn logout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly>,
) -> Result<Response, ApiError> {
    if let Some((_, token)) = SESSION.read(&headers) {
        staff::logout(&state, staff.tenant, &token).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(header::SET_COOKIE, SESSION.clear());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn after_login_only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/settings")), "/settings");
        assert_eq!(local_path(Some("/products/1?x=2")), "/products/1?x=2");
        for outside in [
            "//evil.example/",
            "https://evil.example/",
            "\\\\evil",
            "",
            "settings",
        ] {
            assert_eq!(local_path(Some(outside)), "/", "{outside}");
        }
        assert_eq!(local_path(None), "/");
    }
}
