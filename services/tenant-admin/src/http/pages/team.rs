//! Staff in the console: the team (members, roles, invitations), the access review, and
//! the page where an invited person accepts and chooses a password.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{StaffId, StaffRole};
use platform_web::{ClientIp, FormBody, PathParams, QueryParams};
use secrecy::SecretString;
use uuid::Uuid;

use super::account::or_reauth;
use super::layout::{
    Problem, error_box, field, form_problem, input_problem, layout, notice, page, pre_login_page,
};
use crate::app::AppState;
use crate::app::review::{self, Review};
use crate::app::staff::{SESSION, Staff};
use crate::app::team::{self, InvitationPreview, InviteInput, Team};
use crate::error::ApiError;
use crate::http::auth::{PRE_LOGIN_CSRF, StaffAdmin, client_label};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(team_page))
        .route("/staff/invitations", post(invite_submit))
        .route(
            "/staff/invitations/{id}/revoke",
            get(revoke_invitation_page).post(revoke_invitation_submit),
        )
        .route("/staff/{id}/roles", post(roles_submit))
        .route("/staff/{id}/remove", get(remove_page).post(remove_submit))
        .route("/staff/review", get(review_page))
        .route("/invitations/{link}", get(accept_page).post(accept_submit))
}

const ROLE_FIELDS: [(StaffRole, &str); 5] = [
    (StaffRole::Owner, "owner"),
    (StaffRole::BillingClerk, "billing"),
    (StaffRole::CustomerService, "support"),
    (StaffRole::Fulfilment, "fulfilment"),
    (StaffRole::CatalogManager, "catalog"),
];

fn role_help(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Owner => "everything, including staff, settings and the audit log",
        StaffRole::BillingClerk => {
            "payments and refunds; buyer's name and email, IP for fraud review"
        }
        StaffRole::CustomerService => "buyers' contact and shipping details, order totals",
        StaffRole::Fulfilment => "ships orders; sees the delivery name and address only",
        StaffRole::CatalogManager => "products and collections; no personal data",
    }
}

/// The role checkboxes of a form, with `checked` ticked; `prefix` keeps ids unique.
fn role_boxes(prefix: &str, checked: &[StaffRole]) -> Markup {
    html! {
        fieldset {
            legend { "Roles" }
            @for (role, field) in ROLE_FIELDS {
                div.check {
                    input type="checkbox" id={ (prefix) "-" (field) } name=(field) value="on" checked[checked.contains(&role)];
                    label for={ (prefix) "-" (field) } { strong { (role.label()) } " — " (role_help(role)) }
                }
            }
        }
    }
}

#[derive(Default)]
struct TeamNotes<'a> {
    notice: Option<&'a str>,
    /// A refused invitation: why, and the address and roles typed.
    error: Option<&'a Problem>,
    email: &'a str,
    roles: Vec<StaffRole>,
    /// A refused change of a member's roles: whose, why, and the roles ticked.
    member: Option<(StaffId, &'a str, Vec<StaffRole>)>,
}

fn team_markup(staff: &Staff, team: &Team, notes: &TeamNotes<'_>) -> Markup {
    let (email, roles) = (
        field(notes.error, "email", "email"),
        field(notes.error, "roles", "invite-roles"),
    );
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or("never".to_owned(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    layout(
        "Staff",
        Some(staff),
        html! {
            h1 { "Staff" }
            (notice(notes.notice))
            p { "Each member sees only the personal data their roles need. Changes and every look at personal data are kept in the " a href="/audit" { "audit log" } ". Check who still needs access in the " a href="/staff/review" { "access review" } "." }
            table tabindex="0" {
                thead { tr { th scope="col" { "Member" } th scope="col" { "Roles" } th scope="col" { "Second factor" } th scope="col" { "Last login" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for m in &team.members {
                        @let refused = notes.member.as_ref().filter(|(id, _, _)| *id == m.staff_id);
                        @let held: Vec<StaffRole> = match refused {
                            Some((_, _, ticked)) => ticked.clone(),
                            None => m.roles.iter().map(|g| g.role).collect(),
                        };
                        tr {
                            td { (m.email) @if m.is_you { " (you)" } br; span.small { "joined " (m.joined_at.format("%Y-%m-%d")) } }
                            td {
                                @if let Some((_, message, _)) = refused { (error_box(Some(message))) }
                                form method="post" action={ "/staff/" (m.staff_id) "/roles" } {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    (role_boxes(&m.staff_id.to_string(), &held))
                                    button type="submit" { "Save roles" }
                                }
                            }
                            td { @if m.mfa { "On" } @else { strong { "Off" } } }
                            td { (when(m.last_login_at)) }
                            td {
                                a.danger href={ "/staff/" (m.staff_id) "/remove" } { "Remove " span.visually-hidden { (m.email) } }
                            }
                        }
                    }
                }
            }
            section.card aria-labelledby="mfa-rule" {
                h2 #mfa-rule { "Second factor" }
                p.small { "Owners always need a code from an authenticator app on top of their password. Members who have none yet keep no role until they set one up." }
                form method="post" action="/staff/mfa-policy" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    div.check {
                        input #mfa-required type="checkbox" name="required" value="on" checked[team.mfa_required_for_all];
                        label for="mfa-required" { "Require a second factor of every member" }
                    }
                    button type="submit" { "Save" }
                }
            }
            section.card aria-labelledby="invite" {
                h2 #invite { "Invite someone" }
                p.small { "They get an email with a link that works once, for 72 hours, to choose a password." }
                (form_problem(notes.error, &["email", "roles"]))
                form method="post" action="/staff/invitations" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label for="email" { "Email" }
                    input #email name="email" type="email" required value=(notes.email) autocomplete="off"
                        aria-invalid=[email.invalid] aria-describedby=[email.described_by];
                    (email.note)
                    (role_boxes("invite", &notes.roles))
                    (roles.note)
                    button type="submit" { "Send invitation" }
                }
            }
            @if !team.invitations.is_empty() {
                section.card aria-labelledby="open" {
                    h2 #open { "Open invitations" }
                    table tabindex="0" {
                        thead { tr { th scope="col" { "Email" } th scope="col" { "Roles" } th scope="col" { "Valid until" } th scope="col" { span.visually-hidden { "Actions" } } } }
                        tbody {
                            @for i in &team.invitations {
                                tr {
                                    td { (i.email) }
                                    td { (i.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")) }
                                    td { (i.expires_at.format("%Y-%m-%d %H:%M UTC")) @if i.expired { " (expired)" } }
                                    td {
                                        a.danger href={ "/staff/invitations/" (i.id) "/revoke" } { "Withdraw" span.visually-hidden { " the invitation of " (i.email) } }
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

fn done_text(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "invited" => Some("Invitation sent."),
        "roles" => Some("Roles saved."),
        "removed" => Some("Member removed; their sessions ended."),
        "withdrawn" => Some("Invitation withdrawn; its link no longer works."),
        "policy" => Some("Second-factor rule saved."),
        _ => None,
    }
}

async fn team_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let team = team::team(&state, &staff).await?;
    let notes = TeamNotes {
        notice: done_text(q.done.as_deref()),
        ..TeamNotes::default()
    };
    Ok(page(StatusCode::OK, team_markup(&staff, &team, &notes)))
}

#[derive(serde::Deserialize)]
struct RolesForm {
    csrf: String,
    #[serde(default)]
    email: String,
    owner: Option<String>,
    billing: Option<String>,
    support: Option<String>,
    fulfilment: Option<String>,
    catalog: Option<String>,
}

impl RolesForm {
    fn roles(&self) -> Vec<StaffRole> {
        let ticked = [
            &self.owner,
            &self.billing,
            &self.support,
            &self.fulfilment,
            &self.catalog,
        ];
        ROLE_FIELDS
            .iter()
            .zip(ticked)
            .filter(|(_, t)| t.is_some())
            .map(|((role, _), _)| *role)
            .collect()
    }
}

#[derive(serde::Deserialize)]
struct PlainForm {
    csrf: String,
}

crate::http::auth::csrf_forms!(RolesForm, PlainForm);

async fn invite_submit(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, RolesForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let input = InviteInput {
        email: form.email.clone(),
        roles: form.roles(),
    };
    match team::invite(&state, &staff, input).await {
        Ok(_) => Ok(Redirect::to("/staff?done=invited").into_response()),
        Err(ApiError::ReauthRequired) => or_reauth(Err(ApiError::ReauthRequired), "/staff"),
        Err(e) => {
            let (status, problem) = Problem::of_coded(e, &[("email.", "email")])?;
            let team = team::team(&state, &staff).await?;
            let notes = TeamNotes {
                error: Some(&problem),
                email: &form.email,
                roles: form.roles(),
                ..TeamNotes::default()
            };
            Ok(page(status, team_markup(&staff, &team, &notes)))
        }
    }
}

fn member_id(id: &str) -> Result<StaffId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound)
}

async fn roles_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, form, _): CheckedForm<Staff, RolesForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let member = member_id(&id)?;
    match team::set_roles(&state, &staff, member, &form.roles()).await {
        Ok(()) => Ok(Redirect::to("/staff?done=roles").into_response()),
        Err(ApiError::ReauthRequired) => or_reauth(Err(ApiError::ReauthRequired), "/staff"),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let team = team::team(&state, &staff).await?;
            let notes = TeamNotes {
                member: Some((member, &message, form.roles())),
                ..TeamNotes::default()
            };
            Ok(page(status, team_markup(&staff, &team, &notes)))
        }
    }
}

/// Removing a member asks first, on a page of its own.
async fn remove_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id = member_id(&id)?;
    let team = team::team(&state, &staff).await?;
    let m = team
        .members
        .iter()
        .find(|m| m.staff_id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(page(
        StatusCode::OK,
        layout(
            "Remove member",
            Some(&staff),
            html! {
                h1 { "Remove " (m.email) " from your staff?" }
                p { "Their roles end and every session of theirs is logged out at once. Their past actions stay in the audit log. To have them back, invite them again." }
                form.card method="post" action={ "/staff/" (m.staff_id) "/remove" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Remove them" }
                }
                p { a href="/staff" { "Keep them and go back" } }
            },
        ),
    ))
}

async fn remove_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let member = member_id(&id)?;
    match team::remove(&state, &staff, member).await {
        Ok(()) => Ok(Redirect::to("/staff?done=removed").into_response()),
        Err(ApiError::ReauthRequired) => or_reauth(Err(ApiError::ReauthRequired), "/staff"),
        Err(e) => {
            // Refused (the last owner stays): said in the member's row.
            let (status, message) = input_problem(e)?;
            let team = team::team(&state, &staff).await?;
            let held = team
                .members
                .iter()
                .find(|m| m.staff_id == member)
                .map(|m| m.roles.iter().map(|g| g.role).collect())
                .unwrap_or_default();
            let notes = TeamNotes {
                member: Some((member, &message, held)),
                ..TeamNotes::default()
            };
            Ok(page(status, team_markup(&staff, &team, &notes)))
        }
    }
}

/// Withdrawing an invitation asks first.
async fn revoke_invitation_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    let team = team::team(&state, &staff).await?;
    let i = team
        .invitations
        .iter()
        .find(|i| i.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(page(
        StatusCode::OK,
        layout(
            "Withdraw invitation",
            Some(&staff),
            html! {
                h1 { "Withdraw the invitation of " (i.email) "?" }
                p { "Its link stops working at once. You can invite them again later." }
                form.card method="post" action={ "/staff/invitations/" (i.id) "/revoke" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Withdraw it" }
                }
                p { a href="/staff" { "Keep it and go back" } }
            },
        ),
    ))
}

async fn revoke_invitation_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm, StaffAdmin>,
) -> Result<Response, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    team::revoke_invitation(&state, &staff, id).await?;
    Ok(Redirect::to("/staff?done=withdrawn").into_response())
}

fn review_markup(staff: &Staff, r: &Review) -> Markup {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map_or("never".to_owned(), |t| t.format("%Y-%m-%d").to_string())
    };
    layout(
        "Access review",
        Some(staff),
        html! {
            h1 { "Access review" }
            p { "As of " (r.generated_at.format("%Y-%m-%d %H:%M UTC")) ": " (r.members.len()) " members, " (r.invitations.len()) " open invitations, " strong { (r.flagged) " to look at" } ". Owners also get this review by email every month." }
            table tabindex="0" {
                thead { tr { th scope="col" { "Member" } th scope="col" { "Roles (since)" } th scope="col" { "Last login" } th scope="col" { "Last saw personal data" } th scope="col" { "Second factor" } th scope="col" { "Needs a look" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @for m in &r.members {
                        tr {
                            td { (m.member.email) }
                            td { @for g in &m.member.roles { (g.role.label()) " (" (g.since.format("%Y-%m-%d")) ")" br; } }
                            td { (when(m.member.last_login_at)) }
                            td { (when(m.member.last_pii_read_at)) }
                            td { @if m.member.mfa { "On" } @else { "Off" } }
                            td { @for f in &m.flags { span.flag { (f.label()) } br; } }
                            td {
                                @if !m.member.is_you {
                                    a.danger href={ "/staff/" (m.member.staff_id) "/remove" } { "Revoke access" span.visually-hidden { " of " (m.member.email) } }
                                }
                            }
                        }
                    }
                    @for i in &r.invitations {
                        tr {
                            td { "Invitation: " (i.invitation.email) }
                            td { (i.invitation.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")) }
                            td { "—" } td { "—" } td { "—" }
                            td { @for f in &i.flags { span.flag { (f.label()) } br; } }
                            td {
                                a.danger href={ "/staff/invitations/" (i.invitation.id) "/revoke" } { "Withdraw" span.visually-hidden { " the invitation of " (i.invitation.email) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

async fn review_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<StaffAdmin, Staff>,
) -> Result<Response, ApiError> {
    let r = review::review(&state, &staff).await?;
    Ok(page(StatusCode::OK, review_markup(&staff, &r)))
}

fn accept_markup(csrf: &str, link: &str, p: &InvitationPreview, error: Option<&str>) -> Markup {
    layout(
        "Join the staff",
        None,
        html! {
            h1 { "Join the staff of " (p.shop_name) }
            p { "You were invited as: " strong { (p.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")) } "." }
            p { "You will log in with " strong { (p.email) } " and the password you choose now (at least 12 characters)." }
            (error_box(error))
            form method="post" action={ "/invitations/" (link) } {
                input type="hidden" name="csrf" value=(csrf);
                label for="password" { "Password" }
                input #password name="password" type="password" required minlength="12" maxlength="128" autocomplete="new-password";
                label for="confirm" { "The same password again" }
                input #confirm name="confirm" type="password" required minlength="12" maxlength="128" autocomplete="new-password";
                button type="submit" { "Join" }
            }
        },
    )
}

async fn accept_page(
    State(state): State<AppState>,
    PathParams(link): PathParams<String>,
) -> Result<Response, ApiError> {
    let preview = team::preview(&state, &link).await?;
    Ok(pre_login_page(StatusCode::OK, |t| {
        accept_markup(t, &link, &preview, None)
    }))
}

#[derive(serde::Deserialize)]
struct AcceptForm {
    csrf: String,
    password: String,
    confirm: String,
}

async fn accept_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    PathParams(link): PathParams<String>,
    FormBody(form): FormBody<AcceptForm>,
) -> Result<Response, ApiError> {
    if !PRE_LOGIN_CSRF.check(&headers, &form.csrf) {
        return Err(ApiError::Csrf);
    }
    let outcome = if form.password != form.confirm {
        Err(ApiError::Invalid(platform_domain::Invalid::new(
            "password.mismatch",
            "The two passwords differ. Please type the same password twice.",
        )))
    } else {
        team::accept(
            &state,
            &link,
            SecretString::from(form.password),
            &client_label(&headers, ip),
        )
        .await
    };
    match outcome {
        Ok(session) => {
            // A new member starts on their security page: set up a second factor.
            let mut r = Redirect::to("/account/security").into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                SESSION.issue(&session.staff.tenant.to_string(), &session.token),
            );
            Ok(r)
        }
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let preview = team::preview(&state, &link).await?;
            Ok(pre_login_page(status, |t| {
                accept_markup(t, &link, &preview, Some(&message))
            }))
        }
    }
}
