//! The catalog API: products with variants and images, and collections.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use platform_tenancy::TenantTx;
use platform_web::{JsonBody, PathParams as Path, QueryParams as Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{
    Currency, Invalid, parse_image_url, parse_sku, parse_slug, parse_text, slugify,
};
use crate::error::on_constraint;
use crate::session::Staff;
use crate::{ApiError, AppState};

/// A variant as the API shows it.
#[derive(Debug, Serialize, Deserialize, sqlx::FromRow, Clone)]
pub struct Variant {
    /// Id.
    pub id: Uuid,
    /// Stock-keeping unit, unique in the shop.
    pub sku: String,
    /// "Default", "Large / Blue", …
    pub title: String,
    /// Price in minor units (cents).
    pub price_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// Units in stock.
    pub stock: i32,
    /// Option values (`{"size": "M"}`).
    pub options: Value,
}

/// A product as the API shows it.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Product {
    /// Id.
    pub id: Uuid,
    /// URL handle, unique in the shop.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description (plain text).
    pub description: String,
    /// draft, active or archived.
    pub status: String,
    /// Shown on the shop's home page.
    pub featured: bool,
    /// Image URLs.
    pub image_urls: Vec<String>,
    /// Variants (filled after the row is read).
    #[sqlx(skip)]
    pub variants: Vec<Variant>,
}

/// A variant to create.
#[derive(Debug, Deserialize, Clone)]
pub struct VariantInput {
    /// SKU.
    pub sku: String,
    /// Title (default "Default").
    pub title: Option<String>,
    /// Price in minor units.
    pub price_minor: i64,
    /// Currency (default: the shop's).
    pub currency: Option<String>,
    /// Stock (default 0).
    pub stock: Option<i32>,
    /// Options (default none).
    pub options: Option<Value>,
}

/// A product to create.
#[derive(Debug, Deserialize)]
pub struct ProductInput {
    /// Title.
    pub title: String,
    /// Handle (default: from the title).
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status (default draft).
    pub status: Option<String>,
    /// Featured (default false).
    pub featured: Option<bool>,
    /// Image URLs.
    pub image_urls: Option<Vec<String>>,
    /// Variants.
    pub variants: Option<Vec<VariantInput>>,
}

/// Changes to a product (absent fields stay).
#[derive(Debug, Deserialize)]
pub struct ProductPatch {
    /// Title.
    pub title: Option<String>,
    /// Handle.
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Featured.
    pub featured: Option<bool>,
    /// Image URLs (replaces the list).
    pub image_urls: Option<Vec<String>>,
}

/// Changes to a variant.
#[derive(Debug, Deserialize)]
pub struct VariantPatch {
    /// SKU.
    pub sku: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Price in minor units.
    pub price_minor: Option<i64>,
    /// Stock.
    pub stock: Option<i32>,
    /// Options.
    pub options: Option<Value>,
}

fn invalid(code: &'static str, message: &str) -> Invalid {
    Invalid {
        code,
        message: message.to_owned(),
    }
}

/// Validates a status.
pub fn parse_status(raw: &str) -> Result<String, Invalid> {
    match raw.trim() {
        s @ ("draft" | "active" | "archived") => Ok(s.to_owned()),
        _ => Err(invalid(
            "product.status_invalid",
            "The status is draft, active or archived.",
        )),
    }
}

/// Validates variant options: an object of up to 3 short string values.
pub fn parse_options(v: Option<Value>) -> Result<Value, Invalid> {
    let v = v.unwrap_or_else(|| Value::Object(Default::default()));
    let ok = v.as_object().is_some_and(|o| {
        o.len() <= 3
            && o.iter().all(|(k, v)| {
                (1..=40).contains(&k.chars().count())
                    && v.as_str()
                        .is_some_and(|s| (1..=100).contains(&s.chars().count()))
            })
    });
    if ok {
        Ok(v)
    } else {
        Err(invalid(
            "variant.options_invalid",
            "Options are up to three name/value pairs of text, such as size and colour.",
        ))
    }
}

/// Validates a price and a stock level.
pub fn parse_amounts(price_minor: i64, stock: i32) -> Result<(), Invalid> {
    if !(0..=100_000_000_000).contains(&price_minor) {
        return Err(invalid(
            "variant.price_invalid",
            "The price must be between 0 and 1,000,000,000.00.",
        ));
    }
    if stock < 0 {
        return Err(invalid(
            "variant.stock_invalid",
            "Stock cannot be negative.",
        ));
    }
    Ok(())
}

pub(crate) const PRODUCT_CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "products_tenant_id_handle_key",
        "product.handle_taken",
        "Another product already uses this handle.",
    ),
    (
        "variants_tenant_id_sku_key",
        "variant.sku_taken",
        "Another variant already uses this SKU.",
    ),
];

async fn shop_currency(tx: &mut TenantTx) -> Result<String, ApiError> {
    Ok(
        sqlx::query_scalar("select currency from store_settings where tenant_id = $1")
            .bind(tx.tenant())
            .fetch_one(&mut *tx)
            .await?,
    )
}

async fn insert_variant(
    tx: &mut TenantTx,
    product_id: Uuid,
    input: VariantInput,
    default_currency: &str,
    position: i32,
) -> Result<Uuid, ApiError> {
    let sku = parse_sku(&input.sku)?;
    let title = parse_text(
        input.title.as_deref().unwrap_or("Default"),
        1,
        200,
        "variant.title_invalid",
        "A variant title",
    )?;
    let currency = match input.currency.as_deref() {
        Some(c) => Currency::parse(c)?.as_str().to_owned(),
        None => default_currency.to_owned(),
    };
    let stock = input.stock.unwrap_or(0);
    parse_amounts(input.price_minor, stock)?;
    let options = parse_options(input.options)?;
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock, options, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(product_id)
    .bind(sku)
    .bind(title)
    .bind(input.price_minor)
    .bind(currency)
    .bind(stock)
    .bind(options)
    .bind(position)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
    Ok(id)
}

/// Creates a product with its variants (used by the API and the console).
pub async fn create(tx: &mut TenantTx, input: ProductInput) -> Result<Uuid, ApiError> {
    let title = parse_text(&input.title, 1, 200, "product.title_invalid", "The title")?;
    let handle = match input.handle.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(h) => parse_slug(h, "product.handle_invalid")?,
        None => parse_slug(&slugify(&title), "product.handle_invalid")?,
    };
    let description = parse_text(
        input.description.as_deref().unwrap_or(""),
        0,
        20_000,
        "product.description_invalid",
        "The description",
    )?;
    let status = parse_status(input.status.as_deref().unwrap_or("draft"))?;
    let image_urls = input
        .image_urls
        .unwrap_or_default()
        .iter()
        .map(|u| parse_image_url(u))
        .collect::<Result<Vec<_>, _>>()?;
    if image_urls.len() > 20 {
        return Err(invalid(
            "product.too_many_images",
            "A product has at most 20 images.",
        )
        .into());
    }
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status, featured, image_urls) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(handle)
    .bind(title)
    .bind(description)
    .bind(status)
    .bind(input.featured.unwrap_or(false))
    .bind(image_urls)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
    let currency = shop_currency(tx).await?;
    for (i, v) in input.variants.unwrap_or_default().into_iter().enumerate() {
        insert_variant(tx, id, v, &currency, i32::try_from(i).unwrap_or(i32::MAX)).await?;
    }
    Ok(id)
}

/// Reads one product with its variants.
pub async fn load(tx: &mut TenantTx, id: Uuid) -> Result<Product, ApiError> {
    let mut product: Product = sqlx::query_as(
        "select id, handle, title, description, status, featured, image_urls from products \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    product.variants = sqlx::query_as(
        "select id, sku, title, price_minor, currency, stock, options from variants \
         where tenant_id = $1 and product_id = $2 order by position, sku",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(product)
}

/// Query of the product list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
}

/// `GET /api/v1/products`.
pub async fn list_products(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<Product>>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let status = q.status.as_deref().map(parse_status).transpose()?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from products where tenant_id = $1 and ($2::text is null or status = $2) \
         order by created_at desc, id desc limit 500",
    )
    .bind(staff.tenant)
    .bind(status)
    .fetch_all(&mut tx)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(load(&mut tx, id).await?);
    }
    tx.commit().await?;
    Ok(Json(out))
}

/// `POST /api/v1/products`.
pub async fn create_product(
    State(state): State<AppState>,
    staff: Staff,
    JsonBody(input): JsonBody<ProductInput>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let id = create(&mut tx, input).await?;
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// `GET /api/v1/products/{id}`.
pub async fn get_product(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<Json<Product>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(product))
}

/// `PATCH /api/v1/products/{id}`.
pub async fn update_product(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    JsonBody(patch): JsonBody<ProductPatch>,
) -> Result<Json<Product>, ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let current = load(&mut tx, id).await?;
    let title = parse_text(
        patch.title.as_deref().unwrap_or(&current.title),
        1,
        200,
        "product.title_invalid",
        "The title",
    )?;
    let handle = parse_slug(
        patch.handle.as_deref().unwrap_or(&current.handle),
        "product.handle_invalid",
    )?;
    let description = parse_text(
        patch.description.as_deref().unwrap_or(&current.description),
        0,
        20_000,
        "product.description_invalid",
        "The description",
    )?;
    let status = parse_status(patch.status.as_deref().unwrap_or(&current.status))?;
    let image_urls = match patch.image_urls {
        Some(urls) => urls
            .iter()
            .map(|u| parse_image_url(u))
            .collect::<Result<Vec<_>, _>>()?,
        None => current.image_urls,
    };
    sqlx::query(
        "update products set title = $3, handle = $4, description = $5, status = $6, featured = $7, \
         image_urls = $8, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(staff.tenant)
    .bind(id)
    .bind(title)
    .bind(handle)
    .bind(description)
    .bind(status)
    .bind(patch.featured.unwrap_or(current.featured))
    .bind(image_urls)
    .execute(&mut tx)
    .await
    .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(product))
}

/// Deletes the row `id` of the staff member's shop with `sql` (`… where tenant_id = $1 and
/// id = $2`); 404 when there is none (including another shop's id).
async fn delete_one(
    state: &AppState,
    staff: &Staff,
    sql: &'static str,
    id: Uuid,
) -> Result<StatusCode, ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let done = sqlx::query(sql)
        .bind(staff.tenant)
        .bind(id)
        .execute(&mut tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/products/{id}`.
pub async fn delete_product(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    delete_one(
        &state,
        &staff,
        "delete from products where tenant_id = $1 and id = $2",
        id,
    )
    .await
}

/// `POST /api/v1/products/{id}/variants`.
pub async fn create_variant(
    State(state): State<AppState>,
    staff: Staff,
    Path(product_id): Path<Uuid>,
    JsonBody(input): JsonBody<VariantInput>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let product = load(&mut tx, product_id).await?;
    let currency = shop_currency(&mut tx).await?;
    insert_variant(
        &mut tx,
        product_id,
        input,
        &currency,
        i32::try_from(product.variants.len()).unwrap_or(i32::MAX),
    )
    .await?;
    let product = load(&mut tx, product_id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// `PATCH /api/v1/variants/{id}`.
pub async fn update_variant(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    JsonBody(patch): JsonBody<VariantPatch>,
) -> Result<Json<Variant>, ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let current: Variant = sqlx::query_as(
        "select id, sku, title, price_minor, currency, stock, options from variants where tenant_id = $1 and id = $2",
    )
    .bind(staff.tenant)
    .bind(id)
    .fetch_optional(&mut tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    let sku = parse_sku(patch.sku.as_deref().unwrap_or(&current.sku))?;
    let title = parse_text(
        patch.title.as_deref().unwrap_or(&current.title),
        1,
        200,
        "variant.title_invalid",
        "A variant title",
    )?;
    let price = patch.price_minor.unwrap_or(current.price_minor);
    let stock = patch.stock.unwrap_or(current.stock);
    parse_amounts(price, stock)?;
    let options = parse_options(Some(patch.options.unwrap_or(current.options)))?;
    let updated: Variant = sqlx::query_as(
        "update variants set sku = $3, title = $4, price_minor = $5, stock = $6, options = $7 \
         where tenant_id = $1 and id = $2 \
         returning id, sku, title, price_minor, currency, stock, options",
    )
    .bind(staff.tenant)
    .bind(id)
    .bind(sku)
    .bind(title)
    .bind(price)
    .bind(stock)
    .bind(options)
    .fetch_one(&mut tx)
    .await
    .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
    tx.commit().await?;
    Ok(Json(updated))
}

/// `DELETE /api/v1/variants/{id}`.
pub async fn delete_variant(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    delete_one(
        &state,
        &staff,
        "delete from variants where tenant_id = $1 and id = $2",
        id,
    )
    .await
}

/// A collection.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Collection {
    /// Id.
    pub id: Uuid,
    /// URL handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Member products, in order.
    #[sqlx(skip)]
    pub product_ids: Vec<Uuid>,
}

/// A collection to create.
#[derive(Debug, Deserialize)]
pub struct CollectionInput {
    /// Title.
    pub title: String,
    /// Handle (default: from the title).
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
}

async fn load_collection(tx: &mut TenantTx, id: Uuid) -> Result<Collection, ApiError> {
    let mut c: Collection = sqlx::query_as(
        "select id, handle, title, description from collections where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    c.product_ids = sqlx::query_scalar(
        "select product_id from collection_products where tenant_id = $1 and collection_id = $2 \
         order by position, product_id",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(c)
}

/// `GET /api/v1/collections`.
pub async fn list_collections(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<Collection>>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let ids: Vec<Uuid> =
        sqlx::query_scalar("select id from collections where tenant_id = $1 order by title")
            .bind(staff.tenant)
            .fetch_all(&mut tx)
            .await?;
    let mut out = Vec::new();
    for id in ids {
        out.push(load_collection(&mut tx, id).await?);
    }
    tx.commit().await?;
    Ok(Json(out))
}

/// `POST /api/v1/collections`.
pub async fn create_collection(
    State(state): State<AppState>,
    staff: Staff,
    JsonBody(input): JsonBody<CollectionInput>,
) -> Result<(StatusCode, Json<Collection>), ApiError> {
    staff.require_owner()?;
    let title = parse_text(
        &input.title,
        1,
        200,
        "collection.title_invalid",
        "The title",
    )?;
    let handle = match input.handle.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(h) => parse_slug(h, "collection.handle_invalid")?,
        None => parse_slug(&slugify(&title), "collection.handle_invalid")?,
    };
    let description = parse_text(
        input.description.as_deref().unwrap_or(""),
        0,
        20_000,
        "collection.description_invalid",
        "The description",
    )?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let id = Uuid::new_v4();
    sqlx::query("insert into collections (tenant_id, id, handle, title, description) values ($1, $2, $3, $4, $5)")
        .bind(staff.tenant)
        .bind(id)
        .bind(handle)
        .bind(title)
        .bind(description)
        .execute(&mut tx)
        .await
        .map_err(|e| on_constraint(e, &[("collections_tenant_id_handle_key", "collection.handle_taken", "Another collection already uses this handle.")]))?;
    let c = load_collection(&mut tx, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `GET /api/v1/collections/{id}`.
pub async fn get_collection(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<Json<Collection>, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    let c = load_collection(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(c))
}

/// `DELETE /api/v1/collections/{id}`.
pub async fn delete_collection(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    delete_one(
        &state,
        &staff,
        "delete from collections where tenant_id = $1 and id = $2",
        id,
    )
    .await
}

/// `PUT /api/v1/collections/{id}/products/{product_id}`.
pub async fn add_to_collection(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Collection>, ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    // Both must exist for this tenant: the composite foreign keys would refuse another
    // tenant's ids anyway, but a clean 404 is kinder than a constraint error.
    load_collection(&mut tx, id).await?;
    load(&mut tx, product_id).await?;
    sqlx::query(
        "insert into collection_products (tenant_id, collection_id, product_id, position) \
         select $1, $2, $3, coalesce(max(position), -1) + 1 from collection_products \
         where tenant_id = $1 and collection_id = $2 \
         on conflict do nothing",
    )
    .bind(staff.tenant)
    .bind(id)
    .bind(product_id)
    .execute(&mut tx)
    .await?;
    let c = load_collection(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(c))
}

/// `DELETE /api/v1/collections/{id}/products/{product_id}`.
pub async fn remove_from_collection(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, product_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Collection>, ApiError> {
    staff.require_owner()?;
    let mut tx = state.db.begin(staff.tenant).await?;
    sqlx::query("delete from collection_products where tenant_id = $1 and collection_id = $2 and product_id = $3")
        .bind(staff.tenant)
        .bind(id)
        .bind(product_id)
        .execute(&mut tx)
        .await?;
    let c = load_collection(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(c))
}
