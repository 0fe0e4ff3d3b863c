//! The shop's look: accent colour, logo and home banner.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_images::MAX_UPLOAD_BYTES;
use platform_web::{ErrorBody, JsonBody, PathParams, QueryParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::look::{self, Look, LookInput, Purpose};
use crate::app::staff::Staff;
use crate::error::ApiError;
use crate::http::auth::ShopAdmin;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read, write))
        .routes(routes!(put_picture, patch_picture, delete_picture))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024))
}

/// The alt text of an uploaded logo or banner picture.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PictureQuery {
    /// What the picture shows (for the logo: the shop's name), at most 300 characters.
    alt: Option<String>,
}

/// A new alt text for the logo or the banner picture.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PictureAlt {
    /// At most 300 characters.
    pub alt: String,
}

#[utoipa::path(get, path = "/api/v1/look", tag = "settings", responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Look>, ApiError> {
    Ok(Json(look::get(&state, staff.tenant).await?))
}

#[utoipa::path(put, path = "/api/v1/look", tag = "settings", request_body = LookInput,
    responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input: a colour that is not #rrggbb or too light for white text, a text too long", body = ErrorBody)))]
async fn write(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    JsonBody(input): JsonBody<LookInput>,
) -> Result<Json<Look>, ApiError> {
    look::save(&state, &staff, &input).await?;
    Ok(Json(look::get(&state, staff.tenant).await?))
}

#[utoipa::path(put, path = "/api/v1/look/{purpose}", tag = "settings",
    params(("purpose" = inline(Purpose), Path, description = "`logo` or `banner`"), PictureQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "A JPEG, PNG or WebP picture, at most 10 MB; it replaces the current one"),
    responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "No such picture purpose", body = ErrorBody), (status = 413, description = "Over 10 MB", body = ErrorBody), (status = 422, description = "Not a picture, or alt text too long", body = ErrorBody), (status = 503, description = "No picture store", body = ErrorBody)))]
async fn put_picture(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    PathParams(purpose): PathParams<Purpose>,
    QueryParams(q): QueryParams<PictureQuery>,
    body: Bytes,
) -> Result<Json<Look>, ApiError> {
    look::set_picture(
        &state,
        &staff,
        purpose,
        body,
        q.alt.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(look::get(&state, staff.tenant).await?))
}

#[utoipa::path(patch, path = "/api/v1/look/{purpose}", tag = "settings",
    params(("purpose" = inline(Purpose), Path, description = "`logo` or `banner`")), request_body = PictureAlt,
    responses((status = 200, body = Look), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "The shop has no such picture", body = ErrorBody), (status = 422, description = "Alt text too long", body = ErrorBody)))]
async fn patch_picture(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    PathParams(purpose): PathParams<Purpose>,
    JsonBody(input): JsonBody<PictureAlt>,
) -> Result<Json<Look>, ApiError> {
    look::set_picture_alt(&state, &staff, purpose, &input.alt).await?;
    Ok(Json(look::get(&state, staff.tenant).await?))
}

#[utoipa::path(delete, path = "/api/v1/look/{purpose}", tag = "settings",
    params(("purpose" = inline(Purpose), Path, description = "`logo` or `banner`")),
    responses((status = 204, description = "Removed, with its objects"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "The shop has no such picture", body = ErrorBody)))]
async fn delete_picture(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<ShopAdmin, Staff>,
    PathParams(purpose): PathParams<Purpose>,
) -> Result<StatusCode, ApiError> {
    look::remove_picture(&state, &staff, purpose).await?;
    Ok(StatusCode::NO_CONTENT)
}
