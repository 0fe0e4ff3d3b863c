//! Products and their variants.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_domain::{ProductId, VariantId};
use platform_web::ErrorBody;
use platform_web::{JsonBody, PathParams, QueryParams};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::app::products::{self, ProductInput, ProductPatch, VariantInput, VariantPatch};
use crate::db::products::{Product, Variant};
use crate::error::ApiError;
use platform_auth::extract::{Authenticated, RequireRole};

use crate::app::staff::Staff;
use crate::http::auth::CatalogEditor;

/// Routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(create_variant))
        .routes(routes!(set_options))
        .routes(routes!(update_variant, delete_variant))
}

/// Query of the product list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this status.
    status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ListQuery),
    responses((status = 200, body = Vec<Product>), (status = 401, description = "No session", body = ErrorBody), (status = 422, description = "Not a product status", body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(
        products::list(&state, staff.tenant, q.status.as_deref()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    JsonBody(input): JsonBody<ProductInput>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let product = products::create(&state, staff.tenant, input).await?;
    Ok((StatusCode::CREATED, Json(product)))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = ProductId, Path)),
    responses((status = 200, body = Product), (status = 401, description = "No session", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn read(
    State(state): State<AppState>,
    Authenticated(staff): Authenticated<Staff>,
    PathParams(id): PathParams<ProductId>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(products::get(&state, staff.tenant, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = ProductId, Path)),
    request_body = ProductPatch, responses((status = 200, body = Product), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ProductId>,
    JsonBody(patch): JsonBody<ProductPatch>,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(
        products::update(&state, staff.tenant, id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = ProductId, Path)),
    responses((status = 204, description = "Deleted with its variants"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ProductId>,
) -> Result<StatusCode, ApiError> {
    products::delete(&state, staff.tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A product's options, by place: a name kept in its place renames that option in every
/// variant, one left out removes it, a new one needs the value the existing variants take.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsInput {
    /// Up to three names, in the order shoppers choose (`["Size", "Colour"]`).
    pub names: Vec<String>,
    /// For each new name, by the same place, the value the existing variants take.
    #[serde(default)]
    pub values_for_new: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/products/{id}/options", tag = "catalog", params(("id" = ProductId, Path)),
    request_body = OptionsInput, responses((status = 200, body = Product), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not a catalog editor, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 422, description = "More than three names, a new name without its value, or two variants that would become the same", body = ErrorBody)))]
async fn set_options(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ProductId>,
    JsonBody(input): JsonBody<OptionsInput>,
) -> Result<Json<Product>, ApiError> {
    if input.names.len() > 3 || input.values_for_new.len() > 3 {
        return Err(ApiError::Invalid(platform_domain::Invalid::new(
            "product.option_names_invalid",
            "A product has at most three options, such as size, colour and material.",
        )));
    }
    Ok(Json(
        crate::app::options::set_options(
            &state,
            staff.tenant,
            id,
            &input.names,
            &input.values_for_new,
        )
        .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/products/{id}/variants", tag = "catalog", params(("id" = ProductId, Path)),
    request_body = VariantInput, responses((status = 201, body = Product), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
async fn create_variant(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(product): PathParams<ProductId>,
    JsonBody(input): JsonBody<VariantInput>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let product = products::add_variant(&state, staff.tenant, product, input).await?;
    Ok((StatusCode::CREATED, Json(product)))
}

#[utoipa::path(patch, path = "/api/v1/variants/{id}", tag = "catalog", params(("id" = VariantId, Path)),
    request_body = VariantPatch, responses((status = 200, body = Variant), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody), (status = 409, description = "Taken", body = ErrorBody)))]
async fn update_variant(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<VariantId>,
    JsonBody(patch): JsonBody<VariantPatch>,
) -> Result<Json<Variant>, ApiError> {
    Ok(Json(
        products::update_variant(&state, staff.tenant, id, patch).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/variants/{id}", tag = "catalog", params(("id" = VariantId, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No session", body = ErrorBody), (status = 403, description = "Not the owner, or no CSRF token", body = ErrorBody), (status = 404, description = "Not in this shop", body = ErrorBody)))]
async fn delete_variant(
    State(state): State<AppState>,
    RequireRole(staff, _): RequireRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<VariantId>,
) -> Result<StatusCode, ApiError> {
    products::delete_variant(&state, staff.tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
