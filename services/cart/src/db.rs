//! Catalog reads for pricing, as the `cart` role inside a tenant-scoped transaction.
//! Prices and stock always come from here at the moment of the request; the cart in
//! Redis keeps only variant ids and quantities (and the price seen when added, to flag
//! changes), never a price a client sent.

use platform_tenancy::TenantTx;
use sqlx::Row;
use uuid::Uuid;

use crate::domain::DEFAULT_COOKIE_TTL_DAYS;

/// A variant as the cart needs it.
#[derive(Debug, Clone)]
pub struct VariantInfo {
    /// Variant id.
    pub id: Uuid,
    /// Product handle (for links).
    pub product_handle: String,
    /// Product title.
    pub product_title: String,
    /// Variant title.
    pub variant_title: String,
    /// SKU.
    pub sku: String,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Units in stock.
    pub stock: i32,
    /// The product is on sale (active).
    pub on_sale: bool,
    /// First product image.
    pub image_url: Option<String>,
}

const VARIANTS: &str = "select v.id, p.handle, p.title as product_title, v.title as variant_title, \
            v.sku, v.price_minor, v.currency, v.stock, p.status = 'active' as on_sale, \
            p.image_urls[1] as image_url \
     from variants v join products p on p.tenant_id = v.tenant_id and p.id = v.product_id \
     where v.id = any($1)";

/// The variants among `ids` that exist in this tenant's catalog (any status).
pub async fn variants(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<VariantInfo>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(VARIANTS).bind(ids).fetch_all(&mut *tx).await?;
    rows.iter()
        .map(|r| {
            Ok(VariantInfo {
                id: r.try_get("id")?,
                product_handle: r.try_get("handle")?,
                product_title: r.try_get("product_title")?,
                variant_title: r.try_get("variant_title")?,
                sku: r.try_get("sku")?,
                price_minor: r.try_get("price_minor")?,
                currency: r.try_get("currency")?,
                stock: r.try_get("stock")?,
                on_sale: r.try_get("on_sale")?,
                image_url: r.try_get("image_url")?,
            })
        })
        .collect()
}

/// The shop's cart settings: TTL of cookie carts in days, and its currency.
pub async fn settings(tx: &mut TenantTx) -> Result<(u32, String), sqlx::Error> {
    let row = sqlx::query("select cart_ttl_days, currency from store_settings")
        .fetch_optional(&mut *tx)
        .await?;
    Ok(match row {
        Some(r) => (
            u32::try_from(r.try_get::<i32, _>("cart_ttl_days")?).unwrap_or(DEFAULT_COOKIE_TTL_DAYS),
            r.try_get("currency")?,
        ),
        None => (DEFAULT_COOKIE_TTL_DAYS, "EUR".to_owned()),
    })
}
