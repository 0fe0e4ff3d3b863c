//! Collections and their members.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_auth::extract::{Authenticated, RequireRole};
use platform_domain::{CollectionId, ProductId};
use platform_web::ErrorBody;
use platform_web::{JsonBody, PathParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::collections::{self, CollectionInput, CollectionPatch};
use crate::app::staff::Staff;
use crate::db::collections::Collection;
use crate::error::ApiError;
use crate::http::auth::CatalogEditor;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(add_member, remove_member))
}

#[utoipa::path(get, path = "/api/v1/collections", tag = "catalog", responses((status = 200, body = Vec<Collection>), (status = 401, description = "No session", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
) -> Result<Json<Vec<Collection>>, ApiError> {
    Ok(Json(collections::list(&state, staff.tenant).await?))
}

#[utoipa::path(post, path = "/api/v1/collections", tag = "catalog", request_body = CollectionInput,
    responses((status = 201, body = Collection), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    JsonBody(input): JsonBody<CollectionInput>,
) -> Result<(StatusCode, Json<Collection>), ApiError> {
    let c = collections::create(&state, staff.tenant, input).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/collections/{id}", tag = "catalog", params(("id" = CollectionId, Path)),
    responses((status = 200, body = Collection), (status = 401, description = "No session", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
    PathParams(id): PathParams<CollectionId>,
) -> Result<Json<Collection>, ApiError> {
    Ok(Json(collections::get(&state, staff.tenant, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/collections/{id}", tag = "catalog", params(("id" = CollectionId, Path)),
    request_body = CollectionPatch,
    responses((status = 200, body = Collection), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a catalog editor, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 409, description = "Handle taken, or the menu already links six collections", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<CollectionId>,
    JsonBody(patch): JsonBody<CollectionPatch>,
) -> Result<Json<Collection>, ApiError> {
    Ok(Json(
        collections::update(&state, staff.tenant, id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/collections/{id}", tag = "catalog", params(("id" = CollectionId, Path)),
    responses((status = 204, description = "Deleted; its products stay"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<CollectionId>,
) -> Result<StatusCode, ApiError> {
    collections::delete(&state, staff.tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/collections/{id}/products/{product_id}", tag = "catalog",
    params(("id" = CollectionId, Path), ("product_id" = ProductId, Path)),
    responses((status = 200, body = Collection), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams((id, product)): PathParams<(CollectionId, ProductId)>,
) -> Result<Json<Collection>, ApiError> {
    Ok(Json(
        collections::set_member(&state, staff.tenant, id, product, true).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/collections/{id}/products/{product_id}", tag = "catalog",
    params(("id" = CollectionId, Path), ("product_id" = ProductId, Path)),
    responses((status = 200, body = Collection), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams((id, product)): PathParams<(CollectionId, ProductId)>,
) -> Result<Json<Collection>, ApiError> {
    Ok(Json(
        collections::set_member(&state, staff.tenant, id, product, false).await?,
    ))
}
