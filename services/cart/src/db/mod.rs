//! Catalog reads for pricing, as the `cart` role inside a tenant-scoped transaction.
//! Prices and stock always come from here at the moment of the request; the cart in
//! Redis keeps only variant ids and quantities (and the price seen when added, to flag
//! changes), never a price a client sent.

use platform_domain::{CheckoutFields, Currency, ProductStatus, VariantId};
use platform_tenancy::TenantTx;

use crate::app::domain::DEFAULT_COOKIE_TTL_DAYS;

/// A variant as the cart needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VariantInfo {
    /// Variant id.
    pub id: VariantId,
    /// Product handle (for links).
    pub product_handle: String,
    /// Product title.
    pub product_title: String,
    /// Variant title.
    pub variant_title: String,
    /// SKU.
    pub sku: String,
    /// Unit price in minor units of `currency`.
    pub price_minor: i64,
    /// The variant's currency (the shop's).
    pub currency: Currency,
    /// Units in stock.
    pub stock: i32,
    /// Where the product stands; only active ones are on sale.
    pub status: ProductStatus,
    /// First product image.
    pub image_url: Option<String>,
}

impl VariantInfo {
    /// The product is on sale.
    pub fn on_sale(&self) -> bool {
        self.status == ProductStatus::Active
    }
}

/// The variants among `ids` that exist in this tenant's catalog (any status), in one query.
pub async fn variants(
    tx: &mut TenantTx,
    ids: &[VariantId],
) -> Result<Vec<VariantInfo>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "select v.id, p.handle as product_handle, p.title as product_title, \
                v.title as variant_title, v.sku, v.price_minor, v.currency, v.stock, \
                p.status, \
                (select '/images/' || i.id || '/' || i.widths[1] \
                        || case i.format when 'png' then '.png' else '.jpg' end \
                   from product_images i where i.tenant_id = p.tenant_id and i.product_id = p.id \
                  order by i.position, i.created_at limit 1) as image_url \
         from variants v join products p on p.tenant_id = v.tenant_id and p.id = v.product_id \
         where v.id = any($1)",
    )
    .bind(ids)
    .fetch_all(&mut *tx)
    .await
}

/// The shop's cart settings.
#[derive(Debug, Clone, Copy)]
pub struct CartSettings {
    /// Days a cookie cart lives without activity.
    pub cookie_ttl_days: u32,
    /// The shop's currency.
    pub currency: Currency,
    /// What the shop asks for at checkout (O2): hidden fields are never kept.
    pub checkout_fields: CheckoutFields,
}

/// The shop's cart settings (defaults when the shop has none yet).
pub async fn settings(tx: &mut TenantTx) -> Result<CartSettings, sqlx::Error> {
    let row: Option<(i32, Currency, sqlx::types::Json<CheckoutFields>)> =
        sqlx::query_as("select cart_ttl_days, currency, checkout_fields from store_settings")
            .fetch_optional(&mut *tx)
            .await?;
    Ok(match row {
        Some((days, currency, fields)) => CartSettings {
            cookie_ttl_days: u32::try_from(days).unwrap_or(DEFAULT_COOKIE_TTL_DAYS),
            currency,
            checkout_fields: fields.0,
        },
        None => CartSettings {
            cookie_ttl_days: DEFAULT_COOKIE_TTL_DAYS,
            currency: Currency::EUR,
            checkout_fields: CheckoutFields::default(),
        },
    })
}
