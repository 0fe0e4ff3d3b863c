//! The catalog as CSV: export and import.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use platform_auth::extract::{Authenticated, RequireRole};
use platform_web::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::catalog_csv::{self, ImportSummary};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::CatalogEditor;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export, import))
        // Room for the documented 10 MB and a little framing; the use case checks the
        // exact size.
        .layer(DefaultBodyLimit::max(catalog_csv::MAX_BYTES + 64 * 1024))
}

#[utoipa::path(get, path = "/api/v1/catalog.csv", tag = "catalog",
    responses((status = 200, description = "One row per variant (docs/catalog-csv.md)", content_type = "text/csv", body = String), (status = 401, description = "No session", body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Response, ApiError> {
    let bytes = catalog_csv::export(&state, staff.tenant).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"catalog.csv\""),
    );
    Ok(response)
}

#[utoipa::path(post, path = "/api/v1/catalog.csv", tag = "catalog", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummary), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody),
        (status = 413, description = "Larger than 10 MB", body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportSummary>, ApiError> {
    // Over the route's body limit the body never arrives: the same coded refusal.
    let body = body.map_err(|_| catalog_csv::TOO_LARGE)?;
    Ok(Json(
        catalog_csv::import(&state, staff.tenant, &body).await?,
    ))
}
