//! Checkout settings: numbering and hold (`store_settings`, `order_counters`), shipping
//! rates and tax rates.

use platform_domain::{Currency, Money, percent_text};
use platform_tenancy::TenantTx;

use crate::app::checkout::{CheckoutSettings, ShippingRate, TaxRate, ValidRate, ValidTax};

/// The first number of a shop that has not numbered an order yet.
const FIRST_NUMBER: i64 = 1001;

/// The shop's checkout settings.
pub async fn get(tx: &mut TenantTx) -> Result<CheckoutSettings, sqlx::Error> {
    let (prefix, hold, currency): (String, i32, Currency) = sqlx::query_as(
        "select order_number_prefix, order_hold_minutes, currency from store_settings",
    )
    .fetch_one(&mut *tx)
    .await?;
    let next: Option<i64> = sqlx::query_scalar("select next_number from order_counters")
        .fetch_optional(&mut *tx)
        .await?;
    let rates: Vec<(String, String, i64)> = sqlx::query_as(
        "select country, name, price_minor from shipping_rates order by country, position, name",
    )
    .fetch_all(&mut *tx)
    .await?;
    let taxes: Vec<(String, i32, bool)> =
        sqlx::query_as("select country, rate_bp, inclusive from tax_rates order by country")
            .fetch_all(&mut *tx)
            .await?;
    Ok(CheckoutSettings {
        order_number_prefix: prefix,
        next_order_number: next.unwrap_or(FIRST_NUMBER),
        order_hold_minutes: hold,
        shipping_rates: rates
            .into_iter()
            .map(|(country, name, price)| ShippingRate {
                country,
                name,
                price: Money::new(price, currency).amount_text(),
            })
            .collect(),
        tax_rates: taxes
            .into_iter()
            .map(|(country, bp, inclusive)| TaxRate {
                country,
                rate: percent_text(bp),
                inclusive,
            })
            .collect(),
    })
}

/// The next order number, locking the counter until the transaction ends.
pub async fn next_number_for_update(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let next: Option<i64> = sqlx::query_scalar("select next_number from order_counters for update")
        .fetch_optional(&mut *tx)
        .await?;
    Ok(next.unwrap_or(FIRST_NUMBER))
}

/// Moves the numbering on to `next`.
pub async fn set_next_number(tx: &mut TenantTx, next: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into order_counters (tenant_id, next_number) values ($1, $2) \
         on conflict (tenant_id) do update set next_number = excluded.next_number",
    )
    .bind(tx.tenant())
    .bind(next)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores the prefix and hold, and replaces the rates: a rate whose country and name stay
/// keeps its row (and id), the others go.
pub async fn update(
    tx: &mut TenantTx,
    prefix: &str,
    hold_minutes: i32,
    rates: &[ValidRate],
    taxes: &[ValidTax],
) -> Result<(), sqlx::Error> {
    sqlx::query("update store_settings set order_number_prefix = $1, order_hold_minutes = $2, updated_at = now()")
        .bind(prefix)
        .bind(hold_minutes)
        .execute(&mut *tx)
        .await?;
    let countries: Vec<&str> = rates.iter().map(|r| r.country.as_str()).collect();
    let names: Vec<&str> = rates.iter().map(|r| r.name.as_str()).collect();
    let prices: Vec<i64> = rates.iter().map(|r| r.price_minor).collect();
    let positions: Vec<i32> = (0..).take(rates.len()).collect();
    sqlx::query(
        "delete from shipping_rates r where not exists ( \
             select 1 from unnest($1::text[], $2::text[]) as k(country, name) \
             where k.country = r.country and k.name = r.name)",
    )
    .bind(&countries)
    .bind(&names)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into shipping_rates (tenant_id, id, country, name, price_minor, position) \
         select $1, gen_random_uuid(), k.country, k.name, k.price, k.position \
         from unnest($2::text[], $3::text[], $4::bigint[], $5::int[]) as k(country, name, price, position) \
         on conflict (tenant_id, country, name) do update \
             set price_minor = excluded.price_minor, position = excluded.position",
    )
    .bind(tx.tenant())
    .bind(&countries)
    .bind(&names)
    .bind(&prices)
    .bind(&positions)
    .execute(&mut *tx)
    .await?;
    sqlx::query("delete from tax_rates")
        .execute(&mut *tx)
        .await?;
    let countries: Vec<&str> = taxes.iter().map(|t| t.country.as_str()).collect();
    let bps: Vec<i32> = taxes.iter().map(|t| t.rate_bp).collect();
    let inclusive: Vec<bool> = taxes.iter().map(|t| t.inclusive).collect();
    sqlx::query(
        "insert into tax_rates (tenant_id, country, rate_bp, inclusive) \
         select $1, k.* from unnest($2::text[], $3::int[], $4::bool[]) as k",
    )
    .bind(tx.tenant())
    .bind(&countries)
    .bind(&bps)
    .bind(&inclusive)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
