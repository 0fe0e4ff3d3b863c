//! The whole-shop export in the console (O13): make one (password and code again), and
//! download it by its 3-day link.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_web::PathParams;
use serde::Deserialize;

use super::account::or_reauth;
use super::layout::{layout, page};
use crate::app::AppState;
use crate::app::shop_export::{self, LINK_DAYS, Made};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::{ShopAdmin, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/export", get(export_page).post(make))
        .route("/export/{token}", get(download))
}

fn markup(staff: &Staff, made: &[Made], link: Option<&str>) -> Markup {
    layout(
        "Export the shop",
        Some(staff),
        html! {
            h1 { "Export the whole shop" }
            p { "One ZIP file with your settings and privacy policies, the catalog (CSV, the import format), every order with the buyers' details (JSON and CSV), data requests, staff and the audit log, and a manifest with each file's size and SHA-256 checksum. It holds your buyers' personal data: keep it safe. You will be asked for your password and code." }
            @if let Some(link) = link {
                p.notice role="status" { "Ready. Download it within " (LINK_DAYS) " days: " a href=(link) download { "the export" } ". This link is shown only now." }
            }
            form.card method="post" action="/export" {
                input type="hidden" name="csrf" value=(staff.csrf);
                button type="submit" { "Make an export" }
            }
            @if !made.is_empty() {
                h2 { "Exports whose links still work" }
                ul {
                    @for m in made {
                        li { (m.created_at.format("%Y-%m-%d %H:%M UTC")) ": " (m.bytes) " bytes, SHA-256 " code { (hex::encode(&m.sha256)) } ", until " (m.expires_at.format("%Y-%m-%d %H:%M UTC")) }
                    }
                }
            }
        },
    )
}

async fn export_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
) -> Result<Response, ApiError> {
    let made = shop_export::made(&state, &staff).await?;
    Ok(page(StatusCode::OK, markup(&staff, &made, None)))
}

#[derive(Deserialize)]
struct PlainForm {
    csrf: String,
}

csrf_forms!(PlainForm);

async fn make(
    State(state): State<AppState>,
    CheckedForm(staff, _form, _): CheckedForm<Staff, PlainForm, ShopAdmin>,
) -> Result<Response, ApiError> {
    let made = match shop_export::make(&state, &staff).await {
        Ok(token) => token,
        Err(e) => return or_reauth(Err(e), "/export"),
    };
    let link = format!("/export/{}", made.as_str());
    let list = shop_export::made(&state, &staff).await?;
    let mut response = page(StatusCode::OK, markup(&staff, &list, Some(&link)));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn download(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<ShopAdmin, Staff>,
    PathParams(token): PathParams<String>,
) -> Result<Response, ApiError> {
    let bundle = shop_export::fetch(&state, &staff, &token).await?;
    let mut response = (StatusCode::OK, bundle).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"shop-export.zip\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
