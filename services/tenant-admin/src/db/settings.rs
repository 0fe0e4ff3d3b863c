//! The shop's settings (`store_settings`).

use platform_domain::{CheckoutFields, Currency};
use platform_tenancy::TenantTx;
use sqlx::types::Json;

/// The stored settings.
#[derive(Debug, Clone)]
pub struct SettingsRow {
    /// Public contact email.
    pub contact_email: String,
    /// The shop's one currency.
    pub currency: Currency,
    /// What checkout asks for (O2).
    pub checkout_fields: CheckoutFields,
    /// Days a cookie cart lives.
    pub cart_ttl_days: i32,
}

#[derive(sqlx::FromRow)]
struct Stored {
    contact_email: String,
    currency: Currency,
    checkout_fields: Json<CheckoutFields>,
    cart_ttl_days: i32,
}

/// Creates the settings of a new shop (the rest take their defaults).
pub async fn insert(
    tx: &mut TenantTx,
    currency: Currency,
    contact_email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into store_settings (tenant_id, currency, contact_email) values ($1, $2, $3)",
    )
    .bind(tx.tenant())
    .bind(currency)
    .bind(contact_email)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The shop's settings.
pub async fn get(tx: &mut TenantTx) -> Result<SettingsRow, sqlx::Error> {
    let s: Stored = sqlx::query_as(
        "select contact_email, currency, checkout_fields, cart_ttl_days from store_settings \
         where tenant_id = $1",
    )
    .bind(tx.tenant())
    .fetch_one(&mut *tx)
    .await?;
    Ok(SettingsRow {
        contact_email: s.contact_email,
        currency: s.currency,
        checkout_fields: s.checkout_fields.0,
        cart_ttl_days: s.cart_ttl_days,
    })
}

/// The shop's currency.
pub async fn currency(tx: &mut TenantTx) -> Result<Currency, sqlx::Error> {
    sqlx::query_scalar("select currency from store_settings where tenant_id = $1")
        .bind(tx.tenant())
        .fetch_one(&mut *tx)
        .await
}

/// Stores the settings.
pub async fn update(tx: &mut TenantTx, row: &SettingsRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update store_settings set contact_email = $2, currency = $3, checkout_fields = $4, \
         cart_ttl_days = $5, updated_at = now() where tenant_id = $1",
    )
    .bind(tx.tenant())
    .bind(&row.contact_email)
    .bind(row.currency)
    .bind(Json(row.checkout_fields))
    .bind(row.cart_ttl_days)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many variants are priced in a currency other than `currency`.
pub async fn variants_priced_otherwise(
    tx: &mut TenantTx,
    currency: Currency,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from variants where tenant_id = $1 and currency <> $2")
        .bind(tx.tenant())
        .bind(currency)
        .fetch_one(&mut *tx)
        .await
}
