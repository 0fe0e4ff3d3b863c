//! Catalog reads for pricing, as the `cart` role under the shop's row-level security.
//! Prices and stock always come from here at the moment of the request; the cart in
//! Redis keeps only variant ids and quantities (and the price seen when added, to flag
//! changes), never a price a client sent.

use platform_domain::{CheckoutFields, Currency, ProductStatus, VariantId};
use platform_tenancy::{TenantDb, TenantId, TenantTx};

use crate::app::domain::DEFAULT_COOKIE_TTL_DAYS;

/// A variant as the cart needs it.
#[derive(Debug, Clone)]
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

/// One row of `cart_catalog`: the shop's settings beside one variant. Every column may
/// be null: the shop may have no settings yet, the catalog none of the variants asked for.
#[derive(sqlx::FromRow)]
struct CatalogRow {
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

impl CatalogRow {
    fn variant(self) -> Option<VariantInfo> {
        Some(VariantInfo {
            id: self.id?,
            product_handle: self.product_handle?,
            product_title: self.product_title?,
            variant_title: self.variant_title?,
            sku: self.sku?,
            price_minor: self.price_minor?,
            currency: self.currency?,
            stock: self.stock?,
            status: self.status?,
            image_url: self.image_url,
        })
    }
}

/// The shop's cart settings and the variants among `ids` that exist in its catalog (any
/// status), in one round trip: the SQL function `cart_catalog` scopes itself to `shop`
/// under the `cart` role's row-level security (migration `…031`), so no transaction is
/// opened for it. An add's and a view's whole read.
pub async fn catalog(
    db: &TenantDb,
    shop: TenantId,
    ids: &[VariantId],
) -> Result<(CartSettings, Vec<VariantInfo>), sqlx::Error> {
    let mut rows: Vec<CatalogRow> = sqlx::query_as("select * from cart_catalog($1, $2)")
        .bind(shop)
        .bind(ids)
        .fetch_all(&db.self_scoping())
        .await?;
    let settings = match rows.first_mut() {
        Some(r) => {
            CartSettings::from_row(r.cart_ttl_days, r.shop_currency, r.checkout_fields.take())
        }
        None => CartSettings::from_row(None, None, None),
    };
    Ok((
        settings,
        rows.into_iter().filter_map(CatalogRow::variant).collect(),
    ))
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
