//! The catalog as JSON for headless shops, described by `/api/v1/openapi.json`, which is
//! generated from these handlers and their types (utoipa): a route exists in the router
//! exactly when it is in the document.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use platform_web::{ErrorBody, PathParams, QueryParams, WebError};
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as Document;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::catalog::{self, Collection, Picture, Product, Variant};
use crate::error::ShopError;
use crate::{AppState, Shop};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Storefront API",
        version = "1.0.0",
        description = "The catalog of the shop at this host name. Every answer carries an ETag; send If-None-Match to get 304."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The API's routes and the document that describes exactly them.
pub fn routes() -> (Router<AppState>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(shop_info))
        .routes(routes!(products))
        .routes(routes!(product))
        .routes(routes!(collection))
        .routes(routes!(search))
        .split_for_parts()
}

/// API routes, with `/api/v1/openapi.json` serving their document.
pub fn router() -> Router<AppState> {
    let (router, document) = routes();
    router.route(
        "/api/v1/openapi.json",
        platform_web::openapi_document(&document),
    )
}

/// The shop at this host name.
#[derive(Debug, Serialize, ToSchema)]
struct ShopInfo {
    /// Name.
    name: String,
    /// Handle.
    handle: String,
    /// Public contact email, if the shop gives one.
    contact_email: Option<String>,
    /// Path of the privacy policy page.
    privacy_policy: &'static str,
    /// The shop's logo, if it has one.
    logo: Option<catalog::Picture>,
    /// The collections the shop's menu links, in its order.
    menu: Vec<MenuEntry>,
}

/// A collection the shop's menu links.
#[derive(Debug, Serialize, ToSchema)]
struct MenuEntry {
    /// Handle (`/collections/<handle>`).
    handle: String,
    /// Title.
    title: String,
}

/// The shop's name, contact, logo and menu.
#[utoipa::path(get, path = "/api/v1/shop", tag = "shop",
    responses((status = 200, body = ShopInfo), (status = 404, description = "Unknown host", body = ErrorBody)))]
async fn shop_info(State(state): State<AppState>, shop: Shop) -> Result<Json<ShopInfo>, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let frame = &settings.frame;
    Ok(Json(ShopInfo {
        name: shop.display_name,
        handle: shop.handle,
        contact_email: frame.contact.clone(),
        privacy_policy: "/policies/privacy",
        logo: frame.logo.clone(),
        menu: frame
            .menu
            .iter()
            .map(|(handle, title)| MenuEntry {
                handle: handle.clone(),
                title: title.clone(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// The `next` cursor of the previous page.
    after: Option<String>,
}

/// A page of active products.
#[derive(Debug, Serialize, ToSchema)]
struct ProductPage {
    /// Newest first, 24 per page.
    products: Vec<Product>,
    /// Cursor of the next page, if any.
    next: Option<String>,
}

/// Active products, newest first, 24 per page.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ListQuery),
    responses((status = 200, body = ProductPage),
        (status = 400, description = "Malformed cursor", body = ErrorBody),
        (status = 404, description = "Unknown host", body = ErrorBody)))]
async fn products(
    State(state): State<AppState>,
    shop: Shop,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ProductPage>, ShopError> {
    let after = match q.after.as_deref() {
        None => None,
        Some(c) => Some(catalog::decode_cursor(c).ok_or_else(|| {
            WebError::bad_request("request.invalid_cursor", "The cursor is not valid.")
        })?),
    };
    let mut tx = state.db.begin(shop.id).await?;
    let (products, next) = catalog::list(&mut tx, after).await?;
    tx.commit().await?;
    Ok(Json(ProductPage { products, next }))
}

/// A product with its variants.
#[derive(Debug, Serialize, ToSchema)]
struct ProductDetail {
    /// The product.
    #[serde(flatten)]
    product: Product,
    /// Its options' names (size, colour), in the order shoppers choose them; each
    /// variant's `options` gives a value for every one.
    option_names: Vec<String>,
    /// Its variants.
    variants: Vec<Variant>,
    /// Its pictures, in the shop's order.
    pictures: Vec<Picture>,
}

/// One product with its variants.
#[utoipa::path(get, path = "/api/v1/products/{handle}", tag = "catalog",
    params(("handle" = String, Path, description = "The product's handle")),
    responses((status = 200, body = ProductDetail),
        (status = 404, description = "No such product", body = ErrorBody)))]
async fn product(
    State(state): State<AppState>,
    shop: Shop,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let found = catalog::by_handle(&mut tx, &handle).await?;
    tx.commit().await?;
    let catalog::Detail {
        product,
        option_names,
        variants,
        pictures,
        ..
    } = found.ok_or_else(|| WebError::not_found("product.not_found", "No such product."))?;
    state.views.record(shop.id, product.id);
    let viewed = crate::http::page_cache::ViewedProduct(product.id);
    let mut response = Json(ProductDetail {
        product,
        option_names,
        variants,
        pictures,
    })
    .into_response();
    response.extensions_mut().insert(viewed);
    Ok(response)
}

/// A collection and its active products.
#[utoipa::path(get, path = "/api/v1/collections/{handle}", tag = "catalog",
    params(("handle" = String, Path, description = "The collection's handle")),
    responses((status = 200, body = Collection),
        (status = 404, description = "No such collection", body = ErrorBody)))]
async fn collection(
    State(state): State<AppState>,
    shop: Shop,
    PathParams(handle): PathParams<String>,
) -> Result<Json<Collection>, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let c = catalog::collection(&mut tx, &handle).await?;
    tx.commit().await?;
    let c = c.ok_or_else(|| WebError::not_found("collection.not_found", "No such collection."))?;
    Ok(Json(c))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Words to find (at most 200 characters are used).
    q: String,
}

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
struct SearchResults {
    /// The query as searched.
    query: String,
    /// Matching active products.
    products: Vec<Product>,
}

/// Full-text search in this shop.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchQuery),
    responses((status = 200, body = SearchResults),
        (status = 400, description = "Missing or empty q", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    shop: Shop,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Json<SearchResults>, ShopError> {
    let query: String = q.q.trim().chars().take(200).collect();
    if query.is_empty() {
        return Err(ShopError::from(WebError::bad_request(
            "search.empty",
            "Give a search term in q.",
        )));
    }
    let results = state.searches.search(shop.id, &query).await?;
    Ok(Json(SearchResults {
        query,
        products: results.as_ref().clone(),
    }))
}
