//! Store settings in the console.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::{CheckoutField, FieldRule, Invalid};
use platform_web::QueryParams;
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Done, Problem, field, form_problem, layout, lines, notice, page};
use crate::app::AppState;
use crate::app::settings::{self, Settings, SettingsInput};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/settings", get(settings_page).post(settings_submit))
}

/// The settings as the form shows them: as stored, or as typed when refused.
struct Shown {
    display_name: String,
    contact_email: String,
    currency: String,
    host_names: String,
    cart_ttl_days: String,
    /// The rule chosen for each checkout field, in `CheckoutField::ALL`'s order.
    rules: Vec<String>,
}

impl Shown {
    fn stored(s: &Settings) -> Self {
        Shown {
            display_name: s.display_name.clone(),
            contact_email: s.contact_email.clone(),
            currency: s.currency.to_string(),
            host_names: s.host_names.join("\n"),
            cart_ttl_days: s.cart_ttl_days.to_string(),
            rules: CheckoutField::ALL
                .iter()
                .map(|f| s.checkout_fields.rule(*f).as_str().to_owned())
                .collect(),
        }
    }
}

/// The codes of this form's refusals, by the field they are about.
const FIELD_CODES: [(&str, &str); 11] = [
    ("settings.display_name", "display_name"),
    ("email.", "contact_email"),
    ("currency.", "currency"),
    ("settings.currency_in_use", "currency"),
    ("host.", "host_names"),
    ("settings.host_taken", "host_names"),
    ("settings.host_not_allowed", "host_names"),
    ("settings.host_names_count", "host_names"),
    ("settings.custom_domain_unverified", "host_names"),
    ("settings.cart_ttl_invalid", "cart_ttl_days"),
    ("settings.checkout_fields_invalid", "checkout_fields"),
];

fn settings_form(
    staff: &Staff,
    s: &Shown,
    done: Option<&str>,
    problem: Option<&Problem>,
) -> Markup {
    let names = [
        "display_name",
        "contact_email",
        "currency",
        "host_names",
        "cart_ttl_days",
    ];
    let [name, email, currency, hosts, ttl] = names.map(|n| field(problem, n, n));
    layout(
        "Settings",
        Some(staff),
        html! {
            h1 { "Store settings" }
            (notice(done))
            (form_problem(problem, &names))
            form.card method="post" action="/settings" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="display_name" { "Shop name" }
                input #display_name name="display_name" required maxlength="100" value=(s.display_name)
                    aria-invalid=[name.invalid] aria-describedby=[name.described_by];
                (name.note)
                label for="contact_email" { "Contact email (shown to visitors)" }
                input #contact_email name="contact_email" type="email" required value=(s.contact_email)
                    aria-invalid=[email.invalid] aria-describedby=[email.described_by];
                (email.note)
                label for="currency" { "Currency (ISO 4217): every price is in it; it changes only while no product is priced" }
                input #currency name="currency" required minlength="3" maxlength="3" value=(s.currency)
                    aria-invalid=[currency.invalid] aria-describedby=[currency.described_by];
                (currency.note)
                label for="host_names" { "Host names (one per line)" }
                textarea #host_names name="host_names" rows="3"
                    aria-invalid=[hosts.invalid] aria-describedby=[hosts.described_by] { (s.host_names) }
                (hosts.note)
                label for="cart_ttl_days" { "Keep visitors' carts for (days without activity, 1–90)" }
                input #cart_ttl_days name="cart_ttl_days" type="number" min="1" max="90" required value=(s.cart_ttl_days)
                    aria-invalid=[ttl.invalid] aria-describedby=[ttl.described_by];
                (ttl.note)
                fieldset {
                    legend { "Checkout fields: what buyers are asked for" }
                    @for (f, current) in CheckoutField::ALL.iter().zip(&s.rules) {
                        label for={ "field-" (f.key()) } { (f.label()) }
                        select #{ "field-" (f.key()) } name=(f.key()) {
                            @for rule in FieldRule::ALL {
                                option value=(rule.as_str()) selected[rule.as_str() == current] { (rule.as_str()) }
                            }
                        }
                    }
                }
                button type="submit" { "Save settings" }
            }
        },
    )
}

async fn settings_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let s = settings::get(&state, staff.tenant).await?;
    Ok(page(
        StatusCode::OK,
        settings_form(
            &staff,
            &Shown::stored(&s),
            q.done.is_some().then_some("Settings saved."),
            None,
        ),
    ))
}

#[derive(Deserialize)]
struct SettingsForm {
    csrf: String,
    display_name: String,
    contact_email: String,
    currency: String,
    host_names: String,
    #[serde(default)]
    cart_ttl_days: String,
    name: String,
    email: String,
    phone: String,
    address: String,
}

csrf_forms!(SettingsForm);

async fn settings_submit(
    State(state): State<AppState>,
    CheckedForm(staff, f, _): CheckedForm<Staff, SettingsForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let mut fields = serde_json::Map::new();
    let rules = [&f.name, &f.email, &f.phone, &f.address];
    for (field, rule) in CheckoutField::ALL.into_iter().zip(rules) {
        fields.insert(field.key().to_owned(), Value::from(rule.as_str()));
    }
    let outcome = match f.cart_ttl_days.trim().parse::<i32>() {
        Ok(cart_ttl_days) => {
            let input = SettingsInput {
                display_name: f.display_name.clone(),
                contact_email: f.contact_email.clone(),
                currency: f.currency.clone(),
                host_names: lines(&f.host_names),
                checkout_fields: Value::Object(fields),
                cart_ttl_days,
            };
            settings::save(&state, staff.tenant, input).await.map(drop)
        }
        Err(_) => Err(ApiError::Invalid(Invalid::new(
            "settings.cart_ttl_invalid",
            "Keep carts for a whole number of days, from 1 to 90.",
        ))),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/settings?done=saved").into_response()),
        Err(e) => {
            let (status, problem) = Problem::of_coded(e, &FIELD_CODES)?;
            let shown = Shown {
                display_name: f.display_name,
                contact_email: f.contact_email,
                currency: f.currency,
                host_names: f.host_names,
                cart_ttl_days: f.cart_ttl_days,
                rules: vec![f.name, f.email, f.phone, f.address],
            };
            Ok(page(
                status,
                settings_form(&staff, &shown, None, Some(&problem)),
            ))
        }
    }
}
