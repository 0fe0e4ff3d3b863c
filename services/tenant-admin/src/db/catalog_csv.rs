//! Writes and reads of the catalog CSV: upserts by handle and SKU, and the export rows.

use platform_domain::{Currency, ProductId, ProductStatus};
use platform_tenancy::TenantTx;
use serde_json::Value;

use crate::db::products::{CONFLICTS, ProductFields, VariantFields};
use crate::error::{ApiError, on_constraint};

/// Creates or updates the product with `handle`; its id and whether it is new.
pub async fn upsert_product(
    tx: &mut TenantTx,
    p: &ProductFields<'_>,
) -> Result<(ProductId, bool), ApiError> {
    sqlx::query_as(
        "insert into products (tenant_id, id, handle, title, description, status, featured, \
             option_names) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (tenant_id, handle) do update set title = excluded.title, \
             description = excluded.description, status = excluded.status, \
             featured = excluded.featured, option_names = excluded.option_names, \
             updated_at = now() \
         returning id, (xmax = 0)",
    )
    .bind(tx.tenant())
    .bind(ProductId::random())
    .bind(p.handle)
    .bind(p.title)
    .bind(p.description)
    .bind(p.status)
    .bind(p.featured)
    .bind(p.option_names)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| on_constraint(e, CONFLICTS))
}

/// Creates or updates the variant with the SKU of `v`, under `product` at `position`.
pub async fn upsert_variant(
    tx: &mut TenantTx,
    product: ProductId,
    position: i32,
    v: &VariantFields<'_>,
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock, options, position) \
         values ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8, $9) \
         on conflict (tenant_id, sku) do update set product_id = excluded.product_id, \
             title = excluded.title, price_minor = excluded.price_minor, currency = excluded.currency, \
             stock = excluded.stock, options = excluded.options, position = excluded.position",
    )
    .bind(tx.tenant())
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
    Ok(())
}

/// One row of the export: a variant with its product's columns.
#[derive(Debug, sqlx::FromRow)]
pub struct ExportRow {
    /// Product handle.
    pub handle: String,
    /// Product title.
    pub product_title: String,
    /// Product description.
    pub description: String,
    /// Product status.
    pub status: ProductStatus,
    /// Featured.
    pub featured: bool,
    /// Where each picture came from: the address it was fetched from, or its widest
    /// width on the storefront (`/images/<id>/<width>.<ext>`, relative to the shop).
    pub image_urls: Vec<String>,
    /// SKU.
    pub sku: String,
    /// Variant title.
    pub variant_title: String,
    /// Price in minor units.
    pub price_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Stock.
    pub stock: i32,
    /// Options.
    pub options: Value,
    /// The product's option names, in order.
    pub option_names: Vec<String>,
}

/// Every variant with its product, by handle and position.
pub async fn export_rows(tx: &mut TenantTx) -> Result<Vec<ExportRow>, sqlx::Error> {
    sqlx::query_as(
        "select p.handle, p.title as product_title, p.description, p.status, p.featured, \
                array(select coalesce(i.source_url, '/images/' || i.id || '/' \
                        || i.widths[cardinality(i.widths)] \
                        || case i.format when 'png' then '.png' else '.jpg' end) \
                      from product_images i where i.tenant_id = p.tenant_id and i.product_id = p.id \
                      order by i.position, i.created_at) as image_urls, \
                v.sku, v.title as variant_title, v.price_minor, v.currency, \
                v.stock, v.options, p.option_names \
         from products p join variants v on v.tenant_id = p.tenant_id and v.product_id = p.id \
         where p.tenant_id = $1 order by p.handle, v.position, v.sku",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await
}
