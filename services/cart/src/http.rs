//! Handlers of the internal cart API. The caller (the storefront, authenticated by its
//! client certificate) names the shop; the shop's catalog is read under that tenant's
//! row-level security, so a variant of another shop is simply not found.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use platform_tenancy::TenantId;
use platform_web::{JsonBody, PathParams, QueryParams};
use uuid::Uuid;

use crate::AppState;
use crate::api::{AddLine, CartView, LineChanged, LineView, ModeQuery, SetQuantity, Summary};
use crate::db::{self, VariantInfo};
use crate::domain::{self, CartId, Mode, Prefill, Quantity};
use crate::error::CartError;
use crate::store::LineOutcome;

type Result<T> = std::result::Result<T, CartError>;

/// Routes under `/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/shops/{tenant}/carts/{cart}", get(view).delete(clear))
        .route("/v1/shops/{tenant}/carts/{cart}/summary", get(summary))
        .route(
            "/v1/shops/{tenant}/carts/{cart}/lines",
            axum::routing::post(add),
        )
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
    let tenant = Uuid::parse_str(tenant)
        .map(TenantId::from_uuid)
        .map_err(|_| domain::Invalid {
            code: "cart.malformed_id",
            message: "The shop id is malformed.",
        })?;
    Ok((tenant, CartId::parse(cart)?))
}

/// TTL for an operation that read the shop's settings.
fn ttl_for(state: &AppState, mode: Mode, cookie_days: u32) -> u64 {
    match mode {
        Mode::Cookie => u64::from(cookie_days) * 86_400,
        Mode::Visit => state.visit_ttl,
    }
}

/// TTL for an operation that did not: 0 keeps the cart's stored TTL.
fn ttl_known(state: &AppState, mode: Mode) -> u64 {
    match mode {
        Mode::Cookie => 0,
        Mode::Visit => state.visit_ttl,
    }
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn load_variant(
    state: &AppState,
    tenant: TenantId,
    variant: Uuid,
) -> Result<(VariantInfo, u32)> {
    let mut tx = state.db.begin(tenant).await?;
    let (days, _) = db::settings(&mut tx).await?;
    let found = db::variants(&mut tx, &[variant]).await?;
    tx.commit().await?;
    let info = found
        .into_iter()
        .find(|v| v.on_sale)
        .ok_or(CartError::VariantUnavailable)?;
    Ok((info, days))
}

fn changed(outcome: LineOutcome, stock: i32, ttl: u64) -> Result<Json<LineChanged>> {
    match outcome {
        LineOutcome::Ok(quantity) => Ok(Json(LineChanged {
            quantity,
            ttl_seconds: ttl,
        })),
        LineOutcome::LineLimit => Err(CartError::LineLimit),
        LineOutcome::QuantityCap => Err(CartError::Invalid(domain::Invalid {
            code: "cart.quantity_invalid",
            message: "Quantity must be between 1 and 999.",
        })),
        LineOutcome::OverStock => Err(CartError::InsufficientStock {
            available: stock.max(0),
        }),
        LineOutcome::NoLine => Err(CartError::NoLine),
    }
}

async fn add(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<AddLine>,
) -> Result<Json<LineChanged>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&body.variant_id)?;
    let quantity = Quantity::parse(body.quantity)?;
    let (info, days) = load_variant(&state, tenant, variant).await?;
    let ttl = ttl_for(&state, q.mode, days);
    let most = u32::try_from(info.stock).unwrap_or(0);
    let outcome = state
        .store
        .add(
            tenant,
            cart,
            variant,
            quantity.get(),
            most,
            info.price_minor,
            ttl,
            q.mode,
        )
        .await?;
    changed(outcome, info.stock, ttl)
}

async fn set_quantity(
    State(state): State<AppState>,
    PathParams((tenant, cart, variant)): PathParams<(String, String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<SetQuantity>,
) -> Result<Json<LineChanged>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&variant)?;
    let quantity = Quantity::parse(body.quantity)?;
    let (info, days) = load_variant(&state, tenant, variant).await?;
    let ttl = ttl_for(&state, q.mode, days);
    let most = u32::try_from(info.stock).unwrap_or(0);
    let outcome = state
        .store
        .set_quantity(
            tenant,
            cart,
            variant,
            quantity.get(),
            most,
            info.price_minor,
            ttl,
            q.mode,
        )
        .await?;
    changed(outcome, info.stock, ttl)
}

async fn remove(
    State(state): State<AppState>,
    PathParams((tenant, cart, variant)): PathParams<(String, String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let variant = domain::parse_variant(&variant)?;
    if state
        .store
        .remove(tenant, cart, variant, ttl_known(&state, q.mode))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(CartError::NoLine)
    }
}

async fn clear(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    state.store.clear(tenant, cart).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn summary(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let (item_count, ttl_seconds) = state
        .store
        .count(tenant, cart, ttl_known(&state, q.mode))
        .await?;
    Ok(Json(Summary {
        item_count,
        ttl_seconds,
    }))
}

#[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
async fn priced(state: &AppState, tenant: TenantId, cart: CartId, mode: Mode) -> Result<CartView> {
    let mut tx = state.db.begin(tenant).await?;
    let (days, currency) = db::settings(&mut tx).await?;
    let stored = state
        .store
        .read(tenant, cart, ttl_for(state, mode, days), mode)
        .await?;
    let ids: Vec<Uuid> = stored.lines.keys().copied().collect();
    let infos = db::variants(&mut tx, &ids).await?;
    tx.commit().await?;
    let mut lines: Vec<LineView> = stored
        .lines
        .iter()
        .map(|(variant, &quantity)| {
            let added = stored.seen_prices.get(variant).copied();
            match infos.iter().find(|i| i.id == *variant) {
                Some(i) => {
                    let available = i.on_sale && i.stock > 0;
                    LineView {
                        variant_id: *variant,
                        product_handle: i.product_handle.clone(),
                        product_title: i.product_title.clone(),
                        variant_title: i.variant_title.clone(),
                        sku: i.sku.clone(),
                        image_url: i.image_url.clone(),
                        quantity,
                        unit_price_minor: Some(i.price_minor),
                        added_price_minor: added,
                        price_changed: added.is_some_and(|a| a != i.price_minor),
                        available,
                        stock: i.stock,
                        stock_short: i64::from(i.stock) < i64::from(quantity),
                        line_total_minor: if available {
                            i.price_minor.saturating_mul(i64::from(quantity))
                        } else {
                            0
                        },
                        currency: i.currency.clone(),
                    }
                }
                None => LineView {
                    variant_id: *variant,
                    product_handle: String::new(),
                    product_title: "No longer sold".to_owned(),
                    variant_title: String::new(),
                    sku: String::new(),
                    image_url: None,
                    quantity,
                    unit_price_minor: None,
                    added_price_minor: added,
                    price_changed: false,
                    available: false,
                    stock: 0,
                    stock_short: true,
                    line_total_minor: 0,
                    currency: currency.clone(),
                },
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        (&a.product_title, &a.variant_title, a.variant_id).cmp(&(
            &b.product_title,
            &b.variant_title,
            b.variant_id,
        ))
    });
    Ok(CartView {
        mode,
        ttl_seconds: stored.ttl,
        item_count: lines.iter().map(|l| u64::from(l.quantity)).sum(),
        subtotal_minor: lines
            .iter()
            .fold(0i64, |sum, l| sum.saturating_add(l.line_total_minor)),
        needs_attention: lines
            .iter()
            .any(|l| l.price_changed || !l.available || l.stock_short),
        has_prefill: stored.has_prefill,
        currency,
        lines,
    })
}

async fn view(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
) -> Result<Json<CartView>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    Ok(Json(priced(&state, tenant, cart, q.mode).await?))
}

/// The field context of a cart's checkout draft: binds the ciphertext to this cart.
fn prefill_context(cart: CartId) -> String {
    format!("cart.prefill:{cart}")
}

async fn put_prefill(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    QueryParams(q): QueryParams<ModeQuery>,
    JsonBody(body): JsonBody<Prefill>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let prefill = body.validated()?;
    if prefill.is_empty() {
        state.store.forget_prefill(tenant, cart).await?;
    } else {
        let plaintext =
            serde_json::to_vec(&prefill).map_err(|e| CartError::Internal(e.to_string()))?;
        let mut tx = state.db.begin(tenant).await?;
        let (days, _) = db::settings(&mut tx).await?;
        let sealed = state
            .vault
            .seal_for_tenant(&mut tx, &prefill_context(cart), &plaintext)
            .await?;
        tx.commit().await?;
        state
            .store
            .put_prefill(
                tenant,
                cart,
                sealed.as_bytes(),
                ttl_for(&state, q.mode, days),
                q.mode,
            )
            .await?;
    }
    let (item_count, ttl_seconds) = state
        .store
        .count(tenant, cart, ttl_known(&state, q.mode))
        .await?;
    Ok(Json(Summary {
        item_count,
        ttl_seconds,
    }))
}

async fn get_prefill(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<Json<Prefill>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let Some(bytes) = state.store.prefill(tenant, cart).await? else {
        return Ok(Json(Prefill::default()));
    };
    let sealed = platform_vault::Sealed::from_bytes(bytes)?;
    let mut tx = state.db.begin(tenant).await?;
    let opened = state
        .vault
        .open(&mut tx, &prefill_context(cart), &sealed)
        .await;
    tx.commit().await?;
    match opened {
        Ok(plaintext) => Ok(Json(
            serde_json::from_slice(&plaintext).map_err(|e| CartError::Internal(e.to_string()))?,
        )),
        // The shop's key is gone (shop deleted): the draft is unreadable, as promised.
        Err(platform_vault::VaultError::KeyDestroyed) => {
            state.store.forget_prefill(tenant, cart).await?;
            Ok(Json(Prefill::default()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn forget_prefill(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
) -> Result<StatusCode> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    state.store.forget_prefill(tenant, cart).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_mode(
    State(state): State<AppState>,
    PathParams((tenant, cart)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<ModeQuery>,
) -> Result<Json<Summary>> {
    let (tenant, cart) = ids(&tenant, &cart)?;
    let ttl = match body.mode {
        Mode::Visit => state.visit_ttl,
        Mode::Cookie => {
            let mut tx = state.db.begin(tenant).await?;
            let (days, _) = db::settings(&mut tx).await?;
            tx.commit().await?;
            u64::from(days) * 86_400
        }
    };
    let ttl_seconds = state.store.set_mode(tenant, cart, ttl, body.mode).await?;
    let (item_count, _) = state.store.count(tenant, cart, 0).await?;
    Ok(Json(Summary {
        item_count,
        ttl_seconds,
    }))
}
