//! Payment keys in the console (O12): the keys that sign the shop's requests to the
//! payment processor, with rotation and revocation by the owner. A revoked key is refused
//! by the processor by the time the page comes back.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_orders_api::SigningKeys;
use platform_web::PathParams;

use super::layout::{layout, page};
use crate::app::AppState;
use crate::app::orders;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/payments", get(keys_page))
        .route("/settings/payments/rotate", post(rotate_submit))
        .route("/settings/payments/{key}/revoke", post(revoke_submit))
}

fn state_label(state: &str) -> &'static str {
    match state {
        "signing" => "Signing now",
        "retiring" => "Still accepted (rotated out)",
        "retired" => "Retired",
        "revoked" => "Revoked",
        _ => "Unknown",
    }
}

fn keys_markup(staff: &Staff, keys: &SigningKeys) -> Markup {
    let overlap_hours = keys.overlap_secs / 3600;
    layout(
        "Payment keys",
        Some(staff),
        html! {
            h1 { "Payment keys" }
            p { "Every request this shop sends to the payment processor is signed with one of these keys, so the processor knows it comes from this shop. The platform makes them and keeps their private halves encrypted; nobody sees them." }
            p.small { "Rotating makes a new key and tells the processor before it is used; the previous key stays accepted for " (overlap_hours) " hours so requests already on their way still count. Revoke a key you believe is compromised: the processor refuses it from the moment this page comes back." }
            table tabindex="0" {
                thead { tr { th scope="col" { "Key" } th scope="col" { "State" } th scope="col" { "Made" } th scope="col" { "Processor told" } th scope="col" { "Until" } th scope="col" { span.visually-hidden { "Actions" } } } }
                tbody {
                    @if keys.keys.is_empty() {
                        tr { td colspan="6" { "No key yet: the first one is made when the first buyer pays." } }
                    }
                    @for k in &keys.keys {
                        tr {
                            td { code { (k.key_id) } }
                            td { (state_label(&k.state)) }
                            td { (k.created_at.format("%Y-%m-%d %H:%M UTC")) }
                            td { @match k.published_at { Some(at) => (at.format("%Y-%m-%d %H:%M:%S UTC")), None => "not yet (retrying)" } }
                            td {
                                @if let Some(at) = k.retire_at { (at.format("%Y-%m-%d %H:%M UTC")) }
                                @else if let Some(at) = k.revoked_at { "revoked " (at.format("%Y-%m-%d %H:%M:%S UTC")) }
                                @else { "—" }
                            }
                            td {
                                @if k.state == "signing" || k.state == "retiring" {
                                    form method="post" action={ "/settings/payments/" (k.key_id) "/revoke" } {
                                        input type="hidden" name="csrf" value=(staff.csrf);
                                        button.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card method="post" action="/settings/payments/rotate" {
                input type="hidden" name="csrf" value=(staff.csrf);
                button type="submit" { "Rotate: make a new signing key" }
            }
        },
    )
}

async fn keys_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
) -> Result<Response, ApiError> {
    let keys = orders::signing_keys(&state, staff.tenant).await?;
    Ok(page(StatusCode::OK, keys_markup(&staff, &keys)))
}

#[derive(serde::Deserialize)]
struct KeyForm {
    csrf: String,
}

crate::http::auth::csrf_forms!(KeyForm);

async fn rotate_submit(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, KeyForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    orders::rotate_key(&state, &staff).await?;
    Ok(Redirect::to("/settings/payments").into_response())
}

async fn revoke_submit(
    State(state): State<AppState>,
    PathParams(key): PathParams<String>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, KeyForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let result = orders::revoke_key(&state, &staff, &key)
        .await
        .map(|()| Redirect::to("/settings/payments").into_response());
    super::account::or_reauth(result, "/settings/payments")
}
