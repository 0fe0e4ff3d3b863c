//! Catalog import and export in the console.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedUpload, PageSession};
use platform_web::QueryParams;
use serde::{Deserialize, Serialize};

use super::layout::{input_problem, layout, notice, page};
use crate::app::AppState;
use crate::app::catalog_csv;
use crate::app::images::PictureFailure;
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

fn catalog_view(
    staff: &Staff,
    done: Option<&str>,
    errors: &[String],
    pictures: &[PictureFailure],
) -> Markup {
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
            @if !pictures.is_empty() {
                div.error role="alert" {
                    p { "The rows were imported, but these pictures could not be added. Fix their addresses and import again, or upload them on the product's page:" }
                    ul {
                        @for f in pictures {
                            li { (f.handle) ": " code { (f.url) } " — " (f.message) }
                        }
                    }
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

/// What an import did, carried by the redirect after it to the page that says so.
#[derive(Deserialize, Serialize, Default)]
struct Imported {
    products: Option<usize>,
    created: Option<usize>,
    variants: Option<usize>,
    fetched: Option<usize>,
    kept: Option<usize>,
}

impl Imported {
    fn text(&self) -> Option<String> {
        let products = self.products?;
        let mut done = format!(
            "Imported {products} products ({} new) with {} variants.",
            self.created.unwrap_or(0),
            self.variants.unwrap_or(0)
        );
        let (fetched, kept) = (self.fetched.unwrap_or(0), self.kept.unwrap_or(0));
        if fetched + kept > 0 {
            done.push_str(&format!(
                " Pictures: {fetched} added, {kept} already there."
            ));
        }
        Some(done)
    }
}

async fn catalog_page(
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Imported>,
) -> Response {
    page(
        StatusCode::OK,
        catalog_view(&staff, q.text().as_deref(), &[], &[]),
    )
}

/// The import form (`multipart/form-data`): its CSRF part is checked before the file is
/// looked at.
async fn import_submit(
    State(state): State<AppState>,
    CheckedUpload(staff, form, _): CheckedUpload<Staff, CatalogEditor>,
) -> Result<Response, ApiError> {
    let file = form
        .parts
        .iter()
        .find(|p| p.name == "file")
        .map(|p| p.bytes.clone())
        .unwrap_or_default();
    Ok(
        match catalog_csv::import(&state, staff.tenant, &file).await {
            Ok(summary) => {
                let p = &summary.pictures;
                let imported = Imported {
                    products: Some(summary.products),
                    created: Some(summary.products_created),
                    variants: Some(summary.variants),
                    fetched: Some(p.fetched),
                    kept: Some(p.kept),
                };
                if p.failed.is_empty() {
                    // Post/redirect/get: a reload shows the summary, not a second import.
                    let query = serde_urlencoded::to_string(&imported).unwrap_or_default();
                    Redirect::to(&format!("/catalog?{query}")).into_response()
                } else {
                    // The failed pictures are listed here, once. Reloading imports the
                    // file again, which changes nothing already in (pictures fetched
                    // before are kept) and retries only what failed.
                    page(
                        StatusCode::OK,
                        catalog_view(&staff, imported.text().as_deref(), &[], &p.failed),
                    )
                }
            }
            Err(ApiError::InvalidRows(rows)) => {
                let errors: Vec<String> = rows
                    .iter()
                    .map(|(line, i)| format!("Line {line}: {}", i.message))
                    .collect();
                page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    catalog_view(&staff, None, &errors, &[]),
                )
            }
            Err(e) => {
                let (status, message) = input_problem(e)?;
                page(status, catalog_view(&staff, None, &[message], &[]))
            }
        },
    )
}
