//! Products and their variants.

use platform_domain::{Currency, ProductId, ProductStatus, VariantId};

use crate::db::images::Image;
use platform_tenancy::TenantTx;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;

use crate::error::{ApiError, on_constraint};

/// Unique and currency constraints of the catalog, as conflicts.
pub const CONFLICTS: &[(&str, &str, &str)] = &[
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
    (
        "variants_shop_currency",
        "variant.currency_mismatch",
        "This shop prices in one currency; a variant cannot be priced in another.",
    ),
];

/// A variant as the console and the API show it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Variant {
    /// Id.
    pub id: VariantId,
    /// Stock-keeping unit, unique in the shop.
    pub sku: String,
    /// "Default", "Large / Blue", …
    pub title: String,
    /// Price in minor units of `currency`.
    pub price_minor: i64,
    /// The shop's currency.
    pub currency: Currency,
    /// Units in stock.
    pub stock: i32,
    /// Option values (`{"size": "M"}`).
    #[schema(value_type = Object)]
    pub options: Value,
}

/// A product with its variants, as the console and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// URL handle, unique in the shop.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description (plain text).
    pub description: String,
    /// Where it stands.
    pub status: ProductStatus,
    /// Shown on the shop's home page.
    pub featured: bool,
    /// For visitors of 13 and over only, in a shop that sells to minors (O19).
    pub thirteen_plus: bool,
    /// The names of its options (size, colour), in the order shoppers choose them; every
    /// variant gives a value for each.
    pub option_names: Vec<String>,
    /// Pictures, in the order the shop shows them.
    pub images: Vec<Image>,
    /// Variants, by position.
    pub variants: Vec<Variant>,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: ProductId,
    handle: String,
    title: String,
    description: String,
    status: ProductStatus,
    featured: bool,
    thirteen_plus: bool,
    option_names: Vec<String>,
    images: Json<Vec<Image>>,
    variants: Json<Vec<Variant>>,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Product {
            id: r.id,
            handle: r.handle,
            title: r.title,
            description: r.description,
            status: r.status,
            featured: r.featured,
            thirteen_plus: r.thirteen_plus,
            option_names: r.option_names,
            images: r.images.0,
            variants: r.variants.0,
        }
    }
}

/// Products with their variants in one statement, narrowed by `$tail`.
macro_rules! with_variants {
    ($tail:literal) => {
        concat!(
            "select p.id, p.handle, p.title, p.description, p.status, p.featured, p.thirteen_plus, \
                    p.option_names, \
                    coalesce((select json_agg(json_build_object('id', i.id, 'alt', i.alt, \
                        'format', i.format, 'width', i.width, 'height', i.height, \
                        'widths', i.widths) order by i.position, i.created_at) \
                      from product_images i where i.tenant_id = p.tenant_id and i.product_id = p.id), \
                    '[]') as images, \
                    coalesce((select json_agg(json_build_object('id', v.id, 'sku', v.sku, \
                        'title', v.title, 'price_minor', v.price_minor, 'currency', v.currency, \
                        'stock', v.stock, 'options', v.options) order by v.position, v.sku) \
                      from variants v where v.tenant_id = p.tenant_id and v.product_id = p.id), \
                    '[]') as variants \
             from products p where p.tenant_id = $1 ",
            $tail
        )
    };
}

/// The fields of a product, validated.
pub struct ProductFields<'a> {
    /// URL handle.
    pub handle: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Status.
    pub status: ProductStatus,
    /// Featured.
    pub featured: bool,
    /// 13+ only.
    pub thirteen_plus: bool,
    /// Option names.
    pub option_names: &'a [String],
}

/// Creates a product.
pub async fn insert(
    tx: &mut TenantTx,
    id: ProductId,
    p: &ProductFields<'_>,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into products (tenant_id, id, handle, title, description, status, featured, \
             thirteen_plus, option_names) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(p.handle)
    .bind(p.title)
    .bind(p.description)
    .bind(p.status)
    .bind(p.featured)
    .bind(p.thirteen_plus)
    .bind(p.option_names)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, CONFLICTS))?;
    Ok(())
}

/// One product with its variants.
pub async fn get(tx: &mut TenantTx, id: ProductId) -> Result<Option<Product>, sqlx::Error> {
    let row: Option<ProductRow> = sqlx::query_as(with_variants!("and p.id = $2"))
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.map(Product::from))
}

/// The newest `limit` products (of one status, if given) with their variants.
pub async fn list(
    tx: &mut TenantTx,
    status: Option<ProductStatus>,
    limit: i64,
) -> Result<Vec<Product>, sqlx::Error> {
    let rows: Vec<ProductRow> = sqlx::query_as(with_variants!(
        "and ($2::text is null or p.status = $2) order by p.created_at desc, p.id desc limit $3"
    ))
    .bind(tx.tenant())
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// Replaces a product's fields; false when there is no such product.
pub async fn update(
    tx: &mut TenantTx,
    id: ProductId,
    p: &ProductFields<'_>,
) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "update products set title = $3, handle = $4, description = $5, status = $6, featured = $7, \
         thirteen_plus = $8, option_names = $9, updated_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(p.title)
    .bind(p.handle)
    .bind(p.description)
    .bind(p.status)
    .bind(p.featured)
    .bind(p.thirteen_plus)
    .bind(p.option_names)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, CONFLICTS))?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a product and its variants; false when there is none.
pub async fn delete(tx: &mut TenantTx, id: ProductId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from products where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The fields of a variant, validated.
pub struct VariantFields<'a> {
    /// SKU.
    pub sku: &'a str,
    /// Title.
    pub title: &'a str,
    /// Price in minor units of the shop's currency.
    pub price_minor: i64,
    /// The shop's currency.
    pub currency: Currency,
    /// Stock.
    pub stock: i32,
    /// Options.
    pub options: &'a Value,
}

/// Adds a variant to a product at `position`.
pub async fn insert_variant(
    tx: &mut TenantTx,
    product: ProductId,
    position: i32,
    v: &VariantFields<'_>,
) -> Result<VariantId, ApiError> {
    let id = VariantId::random();
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock, options, position) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(product)
    .bind(v.sku)
    .bind(v.title)
    .bind(v.price_minor)
    .bind(v.currency)
    .bind(v.stock)
    .bind(v.options)
    .bind(position)
    .execute(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, CONFLICTS))?;
    Ok(id)
}

/// Replaces a variant's fields (not its currency: the shop's stays).
pub async fn update_variant(
    tx: &mut TenantTx,
    id: VariantId,
    v: &VariantFields<'_>,
) -> Result<Variant, ApiError> {
    sqlx::query_as(
        "update variants set sku = $3, title = $4, price_minor = $5, stock = $6, options = $7 \
         where tenant_id = $1 and id = $2 \
         returning id, sku, title, price_minor, currency, stock, options",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(v.sku)
    .bind(v.title)
    .bind(v.price_minor)
    .bind(v.stock)
    .bind(v.options)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, CONFLICTS))
}

/// The product a variant belongs to.
pub async fn product_of_variant(
    tx: &mut TenantTx,
    id: VariantId,
) -> Result<Option<ProductId>, sqlx::Error> {
    sqlx::query_scalar("select product_id from variants where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Deletes a variant; false when there is none.
pub async fn delete_variant(tx: &mut TenantTx, id: VariantId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from variants where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}
