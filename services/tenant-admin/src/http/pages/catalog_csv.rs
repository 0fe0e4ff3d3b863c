//! Catalog import and export in the console.

use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{PageSession, RoleRequirement};
use platform_auth::secrets_equal;
use platform_domain::Invalid;

use super::layout::{input_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::catalog_csv;
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::CatalogEditor;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(catalog_page).post(import_submit))
        .layer(axum::extract::DefaultBodyLimit::max(
            catalog_csv::MAX_BYTES + 64 * 1024,
        ))
}

fn catalog_view(staff: &Staff, done: Option<&str>, errors: &[String]) -> Markup {
    layout(
        "Catalog CSV",
        Some(staff),
        html! {
            h1 { "Catalog import and export" }
            (notice(done))
            @if !errors.is_empty() {
                div.error role="alert" {
                    p { "Nothing was imported. Please fix these lines and try again:" }
                    ul { @for e in errors { li { (e) } } }
                }
            }
            p { a href="/api/v1/catalog.csv" download="catalog.csv" { "Download the catalog as CSV" } }
            form.card method="post" action="/catalog" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="file" { "CSV file to import (one row per variant)" }
                input #file name="file" type="file" accept=".csv,text/csv" required;
                button type="submit" { "Import" }
            }
        },
    )
}

async fn catalog_page(PageSession(staff): PageSession<Staff>) -> Response {
    page(StatusCode::OK, catalog_view(&staff, None, &[]))
}

/// The multipart form's CSRF field and file.
async fn read_form(form: &mut Multipart) -> Result<(String, Vec<u8>), ApiError> {
    let unreadable = || Invalid::new("catalog.csv_unreadable", "The file could not be read.");
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| unreadable())?,
            Some("file") => file = field.bytes().await.map_err(|_| unreadable())?.to_vec(),
            _ => {}
        }
    }
    Ok((csrf, file))
}

async fn import_submit(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let (csrf, file) = read_form(&mut form).await?;
    if !secrets_equal(&csrf, &staff.csrf) {
        return Err(ApiError::Csrf);
    }
    if !CatalogEditor::allows(staff.roles) {
        return Err(ApiError::Forbidden);
    }
    Ok(
        match catalog_csv::import(&state, staff.tenant, &file).await {
            Ok(summary) => {
                let done = format!(
                    "Imported {} products ({} new) with {} variants.",
                    summary.products, summary.products_created, summary.variants
                );
                page(StatusCode::OK, catalog_view(&staff, Some(&done), &[]))
            }
            Err(ApiError::InvalidRows(rows)) => {
                let errors: Vec<String> = rows
                    .iter()
                    .map(|(line, i)| format!("Line {line}: {}", i.message))
                    .collect();
                page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    catalog_view(&staff, None, &errors),
                )
            }
            Err(e) => {
                let (status, message) = input_problem(e)?;
                page(status, catalog_view(&staff, None, &[message]))
            }
        },
    )
}
