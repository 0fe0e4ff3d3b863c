//! Product pictures through the API: the request body is the picture itself.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use platform_domain::{ImageId, ProductId};
use platform_images::MAX_UPLOAD_BYTES;
use platform_web::{ErrorBody, JsonBody, PathParams, QueryParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::staff::Staff;
use crate::app::{AppState, images};
use crate::db::images::Image;
use crate::error::ApiError;
use crate::http::auth::CatalogEditor;
use platform_auth::extract::RequireRole;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(update, delete))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024))
}

/// The alt text of an upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// What the picture shows, for people who cannot see it (at most 300 characters).
    alt: Option<String>,
}

/// Changes to a picture.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ImagePatch {
    /// New alt text.
    pub alt: Option<String>,
    /// Move one place `earlier` or `later`.
    pub r#move: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/products/{id}/images", tag = "catalog",
    params(("id" = ProductId, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "A JPEG, PNG or WebP picture, at most 10 MB"),
    responses((status = 201, body = Image), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a catalog editor, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 413, description = "Over 10 MB", body = ErrorBody), (status = 422, description = "Not a picture, or the product has 20", body = ErrorBody), (status = 503, description = "No picture store", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ProductId>,
    QueryParams(q): QueryParams<UploadQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Image>), ApiError> {
    let image = images::upload(
        &state,
        staff.tenant,
        id,
        body,
        q.alt.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(image)))
}

#[utoipa::path(patch, path = "/api/v1/images/{id}", tag = "catalog", params(("id" = ImageId, Path)),
    request_body = ImagePatch,
    responses((status = 200, body = Image), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a catalog editor, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ImageId>,
    JsonBody(patch): JsonBody<ImagePatch>,
) -> Result<Json<Image>, ApiError> {
    let earlier = match patch.r#move.as_deref() {
        None => None,
        Some("earlier") => Some(true),
        Some("later") => Some(false),
        Some(_) => {
            return Err(ApiError::Invalid(platform_domain::Invalid::new(
                "image.move_invalid",
                "A picture moves `earlier` or `later`.",
            )));
        }
    };
    if let Some(alt) = &patch.alt {
        images::set_alt(&state, staff.tenant, id, alt).await?;
    }
    if let Some(earlier) = earlier {
        images::shift(&state, staff.tenant, id, earlier).await?;
    }
    Ok(Json(images::get(&state, staff.tenant, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/images/{id}", tag = "catalog", params(("id" = ImageId, Path)),
    responses((status = 204, description = "Removed, with its stored widths"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a catalog editor, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ImageId>,
) -> Result<StatusCode, ApiError> {
    images::delete(&state, staff.tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
