//! Platform staff, for security officers: the list, and adding a member (their TOTP key
//! is shown once, to hand over with their certificate).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{PlatformRole, PlatformRoles};
use secrecy::SecretString;
use serde::Deserialize;

use super::layout::{error_box, input_problem, layout, notice, page, when};
use crate::app::AppState;
use crate::app::operator::Operator;
use crate::app::staff::{self, Member, NewMember};
use crate::error::ApiError;
use crate::http::auth::{SecurityOfficer, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/staff", get(list).post(add))
}

#[derive(Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    certificate: String,
    support: Option<String>,
    billing_ops: Option<String>,
    sre: Option<String>,
    security: Option<String>,
}
csrf_forms!(AddForm);

impl AddForm {
    fn ticked(&self, role: PlatformRole) -> bool {
        match role {
            PlatformRole::Support => self.support.is_some(),
            PlatformRole::BillingOps => self.billing_ops.is_some(),
            PlatformRole::Sre => self.sre.is_some(),
            PlatformRole::Security => self.security.is_some(),
        }
    }
}

fn markup(
    op: &Operator,
    members: &[Member],
    form: &AddForm,
    error: Option<&str>,
    done: Option<Markup>,
) -> Markup {
    layout(
        "Staff",
        Some(op),
        html! {
            h1 { "Platform staff" }
            @if let Some(d) = done { (d) }
            table {
                thead { tr { th { "Login" } th { "Name" } th { "Employer" } th { "Roles" } th { "Last login" } } }
                tbody {
                    @for m in members {
                        tr {
                            td { (m.login) @if m.disabled { " (disabled)" } }
                            td { (m.name) }
                            td { (m.entity) }
                            td {
                                @for h in &m.roles {
                                    (h.role.label()) " (confirmed " (h.confirmed_at.format("%Y-%m-%d")) ")" br;
                                }
                            }
                            td { (m.last_login_at.map(when).unwrap_or_else(|| "never".to_owned())) }
                        }
                    }
                }
            }
            h2 { "Add a member" }
            p { "Issue their client certificate from the platform staff CA first; paste it here. They log in with it, the password you set and the authenticator key shown once after this form." }
            (error_box(error))
            form.card method="post" action="/staff" {
                input type="hidden" name="csrf" value=(op.csrf);
                label for="login" { "Login" }
                input #login name="login" required value=(form.login);
                label for="name" { "Name" }
                input #name name="name" required value=(form.name);
                label for="entity" { "Employing entity" }
                input #entity name="entity" required value=(form.entity);
                label for="password" { "First password" }
                input #password name="password" type="password" required autocomplete="new-password";
                label for="certificate" { "Client certificate (PEM)" }
                textarea #certificate name="certificate" rows="6" required { (form.certificate) }
                fieldset {
                    legend { "Roles" }
                    @for r in PlatformRole::ALL {
                        label { input type="checkbox" name=(r.as_str()) value="1" checked[form.ticked(*r)]; " " (r.label()) }
                    }
                }
                button type="submit" { "Add" }
            }
        },
    )
}

async fn list(
    State(state): State<AppState>,
    PageRole(op, _): PageRole<SecurityOfficer, Operator>,
) -> Result<Response, ApiError> {
    let members = staff::members(&state, &op).await?;
    Ok(page(
        StatusCode::OK,
        markup(&op, &members, &AddForm::default(), None, None),
    ))
}

async fn add(
    State(state): State<AppState>,
    CheckedForm(op, form, _): CheckedForm<Operator, AddForm, SecurityOfficer>,
) -> Result<Response, ApiError> {
    let outcome = match platform_web::tls::fingerprint_pem(form.certificate.as_bytes()) {
        None => Err(ApiError::invalid(
            "staff.certificate_invalid",
            "The certificate is not a PEM certificate.",
        )),
        Some(cert_fingerprint) => {
            staff::add(
                &state,
                &op,
                NewMember {
                    login: form.login.trim().to_owned(),
                    name: form.name.clone(),
                    entity: form.entity.clone(),
                    password: SecretString::from(form.password.clone()),
                    cert_fingerprint,
                    roles: PlatformRole::ALL
                        .iter()
                        .copied()
                        .filter(|r| form.ticked(*r))
                        .collect::<PlatformRoles>(),
                },
            )
            .await
        }
    };
    let members = staff::members(&state, &op).await?;
    match outcome {
        Ok(created) => {
            let done = html! {
                (notice(Some("Added. Give them this authenticator key now: it is not shown again.")))
                p { "Key: " code { (created.totp.secret_base32()) } }
                p { small { (created.totp.url()) } }
            };
            Ok(page(
                StatusCode::OK,
                markup(&op, &members, &AddForm::default(), None, Some(done)),
            ))
        }
        Err(e) => {
            let (status, message) = input_problem(e)?;
            Ok(page(
                status,
                markup(&op, &members, &form, Some(&message), None),
            ))
        }
    }
}
