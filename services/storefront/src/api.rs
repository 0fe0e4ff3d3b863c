//! The catalog as JSON for headless shops, described by `/api/v1/openapi.json`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use platform_web::{PathParams, QueryParams, WebError};

use crate::error::ShopError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalog;
use crate::{AppState, Shop};

/// API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/shop", get(shop_info))
        .route("/api/v1/products", get(products))
        .route("/api/v1/products/{handle}", get(product))
        .route("/api/v1/collections/{handle}", get(collection))
        .route("/api/v1/search", get(search))
}

async fn shop_info(State(state): State<AppState>, shop: Shop) -> Result<Json<Value>, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(
        json!({ "name": shop.display_name, "handle": shop.handle, "contact_email": contact, "privacy_policy": "/policies/privacy" }),
    ))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    after: Option<String>,
}

async fn products(
    State(state): State<AppState>,
    shop: Shop,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Value>, ShopError> {
    let after = match q.after.as_deref() {
        None => None,
        Some(c) => Some(catalog::decode_cursor(c).ok_or_else(|| {
            WebError::bad_request("request.invalid_cursor", "The cursor is not valid.")
        })?),
    };
    let mut tx = state.db.begin(shop.id).await?;
    let (items, next) = catalog::list(&mut tx, after).await?;
    tx.commit().await?;
    Ok(Json(json!({ "products": items, "next": next })))
}

async fn product(
    State(state): State<AppState>,
    shop: Shop,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let found = catalog::by_handle(&mut tx, &handle).await?;
    tx.commit().await?;
    let (p, variants) =
        found.ok_or_else(|| WebError::not_found("product.not_found", "No such product."))?;
    state.views.record(shop.id, p.id);
    let viewed = crate::page_cache::ViewedProduct(p.id);
    let mut v = serde_json::to_value(&p)?;
    v["variants"] = serde_json::to_value(&variants)?;
    let mut response = Json(v).into_response();
    response.extensions_mut().insert(viewed);
    Ok(response)
}

async fn collection(
    State(state): State<AppState>,
    shop: Shop,
    PathParams(handle): PathParams<String>,
) -> Result<Json<Value>, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let c = catalog::collection(&mut tx, &handle).await?;
    tx.commit().await?;
    let c = c.ok_or_else(|| WebError::not_found("collection.not_found", "No such collection."))?;
    Ok(Json(serde_json::to_value(&c)?))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(state): State<AppState>,
    shop: Shop,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Json<Value>, ShopError> {
    let query: String = q.q.trim().chars().take(200).collect();
    if query.is_empty() {
        return Err(ShopError::from(WebError::bad_request(
            "search.empty",
            "Give a search term in q.",
        )));
    }
    let mut tx = state.db.begin(shop.id).await?;
    let results = catalog::search(&mut tx, &query).await?;
    tx.commit().await?;
    Ok(Json(json!({ "query": query, "products": results })))
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

async fn openapi() -> Json<Value> {
    let handle_param =
        json!({ "name": "handle", "in": "path", "required": true, "schema": { "type": "string" } });
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Storefront API", "version": "1.0.0",
                  "description": "The catalog of the shop at this host name. Every answer carries an ETag; send If-None-Match to get 304." },
        "paths": {
            "/api/v1/shop": { "get": { "summary": "The shop", "responses": { "200": { "description": "Shop name and contact" }, "404": error_response("Unknown host") } } },
            "/api/v1/products": { "get": {
                "summary": "Active products, newest first, 24 per page",
                "parameters": [{ "name": "after", "in": "query", "required": false, "schema": { "type": "string" }, "description": "The `next` cursor of the previous page" }],
                "responses": { "200": { "description": "A page", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "products": { "type": "array", "items": { "$ref": "#/components/schemas/ProductCard" } }, "next": { "type": ["string", "null"] } } } } } },
                    "400": error_response("Malformed cursor"), "404": error_response("Unknown host") } } },
            "/api/v1/products/{handle}": { "get": { "summary": "One product with its variants", "parameters": [handle_param],
                "responses": { "200": { "description": "The product", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Product" } } } }, "404": error_response("No such product") } } },
            "/api/v1/collections/{handle}": { "get": { "summary": "A collection and its products", "parameters": [handle_param],
                "responses": { "200": { "description": "The collection" }, "404": error_response("No such collection") } } },
            "/api/v1/search": { "get": { "summary": "Full-text search in this shop",
                "parameters": [{ "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 200 } }],
                "responses": { "200": { "description": "Matching products" }, "400": error_response("Missing or empty q") } } }
        },
        "components": { "schemas": {
            "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": {
                "code": { "type": "string" }, "message": { "type": "string" }, "request_id": { "type": "string" } } } } },
            "ProductCard": { "type": "object", "properties": {
                "id": { "type": "string", "format": "uuid" }, "handle": { "type": "string" }, "title": { "type": "string" },
                "description": { "type": "string" }, "image_urls": { "type": "array", "items": { "type": "string" } },
                "price_from": { "type": ["integer", "null"], "description": "minor units" }, "currency": { "type": ["string", "null"] },
                "available": { "type": "boolean" } } },
            "Product": { "allOf": [ { "$ref": "#/components/schemas/ProductCard" }, { "type": "object", "properties": {
                "variants": { "type": "array", "items": { "type": "object", "properties": {
                    "id": { "type": "string", "format": "uuid" }, "sku": { "type": "string" }, "title": { "type": "string" },
                    "price_minor": { "type": "integer" }, "currency": { "type": "string" }, "available": { "type": "boolean" },
                    "options": { "type": "object", "additionalProperties": { "type": "string" } } } } } } } ] }
        } }
    }))
}
