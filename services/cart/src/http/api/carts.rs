//! Handlers of the internal cart API: parse the path and body into domain values, call
//! the use case, answer JSON. The caller (the storefront, authenticated by its client
//! certificate) names the shop; the shop's catalog is read under that tenant's row-level
//! security, so a variant of another shop is simply not found.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use platform_cart_api::{
    AddLine, CartId, CartView, LineChanged, ModeQuery, Prefill, SetQuantity, Summary, TenantId,
};
use platform_web::{JsonBody, PathParams, QueryParams};

use crate::app::Carts;
use crate::app::domain::{self, Invalid, Quantity, ValidPrefill};
use crate::error::CartError;

type Result<T> = std::result::Result<T, CartError>;

/// Routes under `/v1/shops/{tenant}/carts`.
pub fn router() -> Router<Carts> {
    Router::new()
        .route("/v1/shops/{tenant}/carts/{cart}", get(view).delete(clear))
        .route("/v1/shops/{tenant}/carts/{cart}/summary", get(summary))
        .route("/v1/shops/{tenant}/carts/{cart}/lines", post(add))
        .route(
            "/v1/shops/{tenant}/carts/{cart}/lines/{variant}",
            put(set_quantity).delete(remove),
        )
        .route(
            "/v1/shops/{tenant}/carts/{cart}/prefill",
            get(get_prefill).put(put_prefill).delete(forget_prefill),
        )
        .route("/v1/shops/{tenant}/carts/{cart}/mode", put(set_mode))
}

fn ids(tenant: &str, cart: &str) -> Result<(TenantId, CartId)> {
    let tenant = tenant.parse().map_err(|_| Invalid {
        code: platform_cart_api::ErrorCode::MalformedId,
        message: "The shop id is malformed.",
    })?;
    Ok((tenant, domain::parse_cart(cart)?))
}

async fn add(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<AddLine>,
) -> Result<Json<LineChanged>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&body.variant_id)?;
    let quantity = Quantity::parse(body.quantity)?;
    Ok(Json(
        carts.add(tenant, cart, q.mode, variant, quantity).await?,
    ))
}

async fn set_quantity(
    State(carts): State<Carts>,
    PathParams((tenant, cart, variant)): PathParams<(String, String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<SetQuantity>,
) -> Result<Json<LineChanged>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&variant)?;
    let quantity = Quantity::parse(body.quantity)?;
    Ok(Json(
        carts
            .set_quantity(tenant, cart, q.mode, variant, quantity)
            .await?,
    ))
}

async fn remove(
    State(carts): State<Carts>,
    PathParams((tenant, cart, variant)): PathParams<(String, String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&variant)?;
    carts.remove(tenant, cart, q.mode, variant).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn clear(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    carts.clear(tenant, cart).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn summary(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    Ok(Json(carts.summary(tenant, cart, q.mode).await?))
}

async fn view(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<Json<CartView>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    Ok(Json(carts.view(tenant, cart, q.mode).await?))
}

async fn put_prefill(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<Prefill>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let prefill = ValidPrefill::parse(body)?;
    Ok(Json(
        carts.save_prefill(tenant, cart, q.mode, prefill).await?,
    ))
}

async fn get_prefill(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<Json<Prefill>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    Ok(Json(carts.prefill(tenant, cart).await?))
}

async fn forget_prefill(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    carts.forget_prefill(tenant, cart).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_mode(
    State(carts): State<Carts>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<ModeQuery>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    Ok(Json(carts.set_mode(tenant, cart, body.mode).await?))
}
