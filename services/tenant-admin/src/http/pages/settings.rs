//! Store settings in the console.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageSession};
use platform_domain::{CheckoutField, FieldRule};
use platform_web::QueryParams;
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Done, error_box, input_problem, layout, lines, notice, page};
use crate::app::AppState;
use crate::app::settings::{self, Settings, SettingsInput};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/settings", get(settings_page).post(settings_submit))
}

fn settings_form(staff: &Staff, s: &Settings, done: Option<&str>, error: Option<&str>) -> Markup {
    layout(
        "Settings",
        Some(staff),
        html! {
            h1 { "Store settings" }
            (notice(done))
            (error_box(error))
            form.card method="post" action="/settings" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="display_name" { "Shop name" }
                input #display_name name="display_name" required maxlength="100" value=(s.display_name);
                label for="contact_email" { "Contact email (shown to visitors)" }
                input #contact_email name="contact_email" type="email" required value=(s.contact_email);
                label for="currency" { "Currency (ISO 4217): every price is in it; it changes only while no product is priced" }
                input #currency name="currency" required minlength="3" maxlength="3" value=(s.currency);
                label for="host_names" { "Host names (one per line)" }
                textarea #host_names name="host_names" rows="3" { (s.host_names.join("\n")) }
                label for="cart_ttl_days" { "Keep visitors' carts for (days without activity, 1–90)" }
                input #cart_ttl_days name="cart_ttl_days" type="number" min="1" max="90" required value=(s.cart_ttl_days);
                fieldset {
                    legend { "Checkout fields: what buyers are asked for" }
                    @for f in CheckoutField::ALL {
                        @let current = s.checkout_fields.rule(f);
                        label for={ "field-" (f.key()) } { (f.label()) }
                        select #{ "field-" (f.key()) } name=(f.key()) {
                            @for rule in FieldRule::ALL {
                                option value=(rule.as_str()) selected[rule == current] { (rule.as_str()) }
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
            &s,
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
    cart_ttl_days: i32,
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
    for (field, rule) in CheckoutField::ALL
        .into_iter()
        .zip([f.name, f.email, f.phone, f.address])
    {
        fields.insert(field.key().to_owned(), Value::from(rule));
    }
    let input = SettingsInput {
        display_name: f.display_name,
        contact_email: f.contact_email,
        currency: f.currency,
        host_names: lines(&f.host_names),
        checkout_fields: Value::Object(fields),
        cart_ttl_days: f.cart_ttl_days,
    };
    match settings::save(&state, staff.tenant, input).await {
        Ok(_) => Ok(Redirect::to("/settings?done=saved").into_response()),
        Err(e) => {
            let (status, message) = input_problem(e)?;
            let s = settings::get(&state, staff.tenant).await?;
            Ok(page(
                status,
                settings_form(&staff, &s, None, Some(&message)),
            ))
        }
    }
}
