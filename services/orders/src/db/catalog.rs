//! The shop's catalog, settings and rates as checkout reads them, as the `orders` role
//! under the shop's row-level security.

use platform_domain::{CheckoutFields, Country, Currency, VariantId};
use platform_orders_api::ShippingOption;
use platform_tenancy::TenantTx;

use crate::app::pricing::Tax;

/// A variant as pricing needs it, read from the catalog now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogVariant {
    /// The variant.
    pub id: VariantId,
    /// Its SKU.
    pub sku: String,
    /// Its product's title.
    pub product_title: String,
    /// Its own title.
    pub variant_title: String,
    /// Unit price.
    pub price_minor: i64,
    /// The variant's currency (the shop's, by construction).
    pub currency: Currency,
    /// Units in stock.
    pub stock: i32,
    /// Its product is active.
    pub on_sale: bool,
    /// Its product is for buyers of 13 and over (O19).
    pub thirteen_plus: bool,
}

macro_rules! variants_sql {
    () => {
        "select v.id, v.sku, p.title as product_title, v.title as variant_title, \
            v.price_minor, v.currency, v.stock, p.status = 'active' as on_sale, p.thirteen_plus \
     from variants v join products p on p.tenant_id = v.tenant_id and p.id = v.product_id \
         where v.id = any($1)"
    };
}

/// The variants among `ids` that exist in this shop (any status).
pub async fn variants(
    tx: &mut TenantTx,
    ids: &[VariantId],
) -> Result<Vec<CatalogVariant>, sqlx::Error> {
    sqlx::query_as(variants_sql!())
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
}

/// Like [`variants`], locking the variant rows in id order until the transaction ends:
/// the price read is the price charged and the stock read is the stock taken, and two
/// orders for the same variants queue instead of deadlocking.
pub async fn variants_for_update(
    tx: &mut TenantTx,
    ids: &[VariantId],
) -> Result<Vec<CatalogVariant>, sqlx::Error> {
    sqlx::query_as(concat!(variants_sql!(), " order by v.id for update of v"))
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
}

/// What checkout needs of the shop's settings.
#[derive(Debug, Clone)]
pub struct ShopSettings {
    /// The shop's currency.
    pub currency: Currency,
    /// What it asks for at checkout.
    pub fields: CheckoutFields,
    /// Its order-number prefix.
    pub number_prefix: String,
    /// Minutes an unpaid order holds its stock.
    pub hold_minutes: i32,
    /// The shop sells to minors: checkout asks the age band (O19).
    pub sells_to_minors: bool,
}

/// The shop's settings (defaults when it has none yet).
pub async fn settings(tx: &mut TenantTx) -> Result<ShopSettings, sqlx::Error> {
    type Row = (
        Currency,
        sqlx::types::Json<CheckoutFields>,
        String,
        i32,
        bool,
    );
    let row: Option<Row> = sqlx::query_as(
        "select currency, checkout_fields, order_number_prefix, order_hold_minutes, \
                sells_to_minors \
             from store_settings",
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        Some((currency, fields, number_prefix, hold_minutes, sells_to_minors)) => ShopSettings {
            currency,
            fields: fields.0,
            number_prefix,
            hold_minutes,
            sells_to_minors,
        },
        None => ShopSettings {
            currency: Currency::EUR,
            fields: CheckoutFields::default(),
            number_prefix: String::new(),
            hold_minutes: 30,
            sells_to_minors: false,
        },
    })
}

/// Whether an owner asked to close the shop (it then takes no new orders).
pub async fn closing(tx: &mut TenantTx) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select closes_at is not null from tenants where id = $1")
        .bind(tx.tenant())
        .fetch_one(&mut *tx)
        .await
}

/// The countries the shop ships to, alphabetically.
pub async fn countries(tx: &mut TenantTx) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct country from shipping_rates order by country")
        .fetch_all(&mut *tx)
        .await
}

/// The shop's rates to `country`, in the merchant's order.
pub async fn rates(
    tx: &mut TenantTx,
    country: Country,
) -> Result<Vec<ShippingOption>, sqlx::Error> {
    let rows: Vec<(uuid::Uuid, String, i64)> = sqlx::query_as(
        "select id, name, price_minor from shipping_rates where country = $1 \
         order by position, price_minor, name",
    )
    .bind(country)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, price_minor)| ShippingOption {
            id: platform_domain::ShippingRateId::from_uuid(id),
            name,
            price_minor,
        })
        .collect())
}

/// The shop's tax for `country` (none set: no tax).
pub async fn tax(tx: &mut TenantTx, country: Country) -> Result<Tax, sqlx::Error> {
    let row: Option<(i32, bool)> =
        sqlx::query_as("select rate_bp, inclusive from tax_rates where country = $1")
            .bind(country)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(row.map_or(Tax::default(), |(rate_bp, inclusive)| Tax {
        rate_bp,
        inclusive,
    }))
}
