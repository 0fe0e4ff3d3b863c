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

/// The columns of a [`VariantInfo`], from `variants v join products p`.
macro_rules! variant_columns {
    () => {
        "v.id, p.handle as product_handle, p.title as product_title, \
         v.title as variant_title, v.sku, v.price_minor, v.currency, v.stock, p.status, \
         (select '/images/' || i.id || '/' || i.widths[1] \
                 || case i.format when 'png' then '.png' else '.jpg' end \
            from product_images i where i.tenant_id = p.tenant_id and i.product_id = p.id \
           order by i.position, i.created_at limit 1) as image_url"
    };
}

/// The variants among `ids` that exist in this tenant's catalog (any status), in one query.
pub async fn variants(
    tx: &mut TenantTx,
    ids: &[VariantId],
) -> Result<Vec<VariantInfo>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(concat!(
        "select ",
        variant_columns!(),
        " from variants v join products p on p.tenant_id = v.tenant_id and p.id = v.product_id \
         where v.id = any($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *tx)
    .await
}

/// The shop's cart settings and one variant of its catalog (any status; `None` when it
/// has no such variant), in one statement: an add's whole read, one round trip fewer
/// than [`settings`] then [`variants`].
pub async fn settings_and_variant(
    tx: &mut TenantTx,
    id: VariantId,
) -> Result<(CartSettings, Option<VariantInfo>), sqlx::Error> {
    /// Every column may be null: the shop may have no settings yet, the catalog no
    /// such variant.
    #[derive(sqlx::FromRow)]
    struct Row {
        cart_ttl_days: Option<i32>,
        shop_currency: Option<Currency>,
        checkout_fields: Option<sqlx::types::Json<CheckoutFields>>,
        id: Option<VariantId>,
        product_handle: Option<String>,
        product_title: Option<String>,
        variant_title: Option<String>,
        sku: Option<String>,
        price_minor: Option<i64>,
        currency: Option<Currency>,
        stock: Option<i32>,
        status: Option<ProductStatus>,
        image_url: Option<String>,
    }
    let row: Row = sqlx::query_as(concat!(
        "select s.cart_ttl_days, s.currency as shop_currency, s.checkout_fields, f.* \
           from (values (1)) one (x) \
           left join store_settings s on true \
           left join (select ",
        variant_columns!(),
        " from variants v join products p on p.tenant_id = v.tenant_id and p.id = v.product_id \
            where v.id = $1) f on true"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let settings =
        CartSettings::from_row(row.cart_ttl_days, row.shop_currency, row.checkout_fields);
    let variant = match (
        row.id,
        row.product_handle,
        row.product_title,
        row.variant_title,
        row.sku,
        row.price_minor,
        row.currency,
        row.stock,
        row.status,
    ) {
        (
            Some(id),
            Some(product_handle),
            Some(product_title),
            Some(variant_title),
            Some(sku),
            Some(price_minor),
            Some(currency),
            Some(stock),
            Some(status),
        ) => Some(VariantInfo {
            id,
            product_handle,
            product_title,
            variant_title,
            sku,
            price_minor,
            currency,
            stock,
            status,
            image_url: row.image_url,
        }),
        _ => None,
    };
    Ok((settings, variant))
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
        Some((days, currency, fields)) => {
            CartSettings::from_row(Some(days), Some(currency), Some(fields))
        }
        None => CartSettings::from_row(None, None, None),
    })
}

impl CartSettings {
    /// From the columns of `store_settings` (all `None` when the shop has none yet).
    fn from_row(
        days: Option<i32>,
        currency: Option<Currency>,
        fields: Option<sqlx::types::Json<CheckoutFields>>,
    ) -> Self {
        CartSettings {
            cookie_ttl_days: days
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(DEFAULT_COOKIE_TTL_DAYS),
            currency: currency.unwrap_or(Currency::EUR),
            checkout_fields: fields.map(|f| f.0).unwrap_or_default(),
        }
    }
}
