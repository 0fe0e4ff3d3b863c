//! Checkout settings: how the shop numbers its orders, how long an unpaid order holds its
//! stock, flat shipping rates per destination country and a tax rate per country.

use platform_domain::{Country, Currency, Invalid, Money};
use platform_tenancy::TenantId;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::app::domain::parse_text;
use crate::db;
use crate::error::ApiError;

/// A flat shipping rate to one country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShippingRate {
    /// ISO 3166-1 alpha-2 code of the destination.
    pub country: String,
    /// Its name as buyers see it ("Standard", "Express").
    pub name: String,
    /// Its price in the shop's currency ("4.90").
    pub price: String,
}

/// The tax for one destination country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxRate {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Percent, up to two decimals ("19", "7.5").
    pub rate: String,
    /// The shop's prices already include it (else it is added at checkout).
    pub inclusive: bool,
}

/// The shop's checkout settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckoutSettings {
    /// Put before every order number ("A-" makes "A-1001"); capitals, digits and dashes.
    pub order_number_prefix: String,
    /// The number the next order gets.
    pub next_order_number: i64,
    /// Minutes an unpaid order holds its stock before it is cancelled (5..=1440).
    pub order_hold_minutes: i32,
    /// Where the shop ships, at which flat rates.
    pub shipping_rates: Vec<ShippingRate>,
    /// Tax per destination; a country without a row pays none.
    pub tax_rates: Vec<TaxRate>,
}

/// Checkout settings as the API and the console take them; the rates replace the
/// current ones (a rate kept under the same country and name keeps its identity, so a
/// buyer who chose it a moment ago is not sent back).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CheckoutInput {
    /// Capitals, digits and dashes, at most 12.
    #[serde(default)]
    pub order_number_prefix: String,
    /// Move the numbering on (never back); none keeps it.
    #[serde(default)]
    pub next_order_number: Option<i64>,
    /// 5..=1440 (default 30).
    #[serde(default = "default_hold")]
    pub order_hold_minutes: i32,
    /// At most 200.
    #[serde(default)]
    pub shipping_rates: Vec<ShippingRate>,
    /// At most 250, one per country.
    #[serde(default)]
    pub tax_rates: Vec<TaxRate>,
}

fn default_hold() -> i32 {
    30
}

/// A rate checked and priced in the shop's currency.
pub struct ValidRate {
    /// Destination.
    pub country: Country,
    /// Name.
    pub name: String,
    /// Price in minor units.
    pub price_minor: i64,
}

/// A tax checked.
pub struct ValidTax {
    /// Destination.
    pub country: Country,
    /// Basis points.
    pub rate_bp: i32,
    /// Included in prices.
    pub inclusive: bool,
}

fn invalid(code: &'static str, message: impl Into<std::borrow::Cow<'static, str>>) -> Invalid {
    Invalid::new(code, message)
}

/// "19" → 1900, "7.5" → 750, "7,25" → 725; 0..=100 with at most two decimals.
pub fn parse_percent(text: &str) -> Result<i32, Invalid> {
    let bad = || {
        invalid(
            "checkout.tax_rate_invalid",
            "A tax rate is a percentage from 0 to 100 with at most two decimals, such as 19 or 7.5.",
        )
    };
    let text = text.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let fraction: i32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bp = whole * 100 + fraction;
    if bp > 10_000 { Err(bad()) } else { Ok(bp) }
}

fn country(text: &str) -> Result<Country, Invalid> {
    Country::parse(text).map_err(|_| {
        invalid(
            "checkout.country_unknown",
            format!(
                "“{}” is not a two-letter country code such as DE or FR.",
                text.trim()
            ),
        )
    })
}

/// Checks the rates in the shop's currency.
pub fn check_rates(rates: &[ShippingRate], currency: Currency) -> Result<Vec<ValidRate>, Invalid> {
    if rates.len() > 200 {
        return Err(invalid(
            "checkout.too_many_rates",
            "A shop has at most 200 shipping rates.",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    rates
        .iter()
        .map(|r| {
            let country = country(&r.country)?;
            let name = parse_text(
                &r.name,
                1,
                100,
                "checkout.rate_name_invalid",
                "A rate's name",
            )?;
            let price = Money::parse(&r.price, currency).map_err(|_| {
                invalid(
                    "checkout.rate_price_invalid",
                    format!("“{}” is not a price in {currency}.", r.price.trim()),
                )
            })?;
            if !seen.insert((country, name.to_lowercase())) {
                return Err(invalid(
                    "checkout.rate_duplicate",
                    format!("{country} has two rates named “{name}”."),
                ));
            }
            Ok(ValidRate {
                country,
                name,
                price_minor: price.minor,
            })
        })
        .collect()
}

/// Checks the tax rates: one per country.
pub fn check_taxes(taxes: &[TaxRate]) -> Result<Vec<ValidTax>, Invalid> {
    let mut seen = std::collections::HashSet::new();
    taxes
        .iter()
        .map(|t| {
            let country = country(&t.country)?;
            if !seen.insert(country) {
                return Err(invalid(
                    "checkout.tax_duplicate",
                    format!("{country} has two tax rates."),
                ));
            }
            Ok(ValidTax {
                country,
                rate_bp: parse_percent(&t.rate)?,
                inclusive: t.inclusive,
            })
        })
        .collect()
}

/// The shop's checkout settings.
pub async fn get(state: &AppState, tenant: TenantId) -> Result<CheckoutSettings, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let settings = db::checkout::get(&mut tx).await?;
    tx.commit().await?;
    Ok(settings)
}

/// Validates and stores the checkout settings.
pub async fn save(
    state: &AppState,
    tenant: TenantId,
    input: CheckoutInput,
) -> Result<CheckoutSettings, ApiError> {
    let prefix = input.order_number_prefix.trim().to_owned();
    if prefix.len() > 12
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            "checkout.prefix_invalid",
            "An order-number prefix has at most 12 capitals, digits and dashes.",
        )
        .into());
    }
    if !(5..=1440).contains(&input.order_hold_minutes) {
        return Err(invalid(
            "checkout.hold_invalid",
            "Unpaid orders hold their stock for 5 to 1440 minutes.",
        )
        .into());
    }
    let taxes = check_taxes(&input.tax_rates)?;
    let mut tx = state.db.begin(tenant).await?;
    let currency = db::settings::currency(&mut tx).await?;
    let rates = check_rates(&input.shipping_rates, currency)?;
    if let Some(next) = input.next_order_number {
        let current = db::checkout::next_number_for_update(&mut tx).await?;
        if next < current || next > 999_999_999_999 {
            return Err(invalid(
                "checkout.number_backwards",
                format!("Order numbers only move on: the next one is {current} or higher."),
            )
            .into());
        }
        db::checkout::set_next_number(&mut tx, next).await?;
    }
    db::checkout::update(&mut tx, &prefix, input.order_hold_minutes, &rates, &taxes).await?;
    let saved = db::checkout::get(&mut tx).await?;
    tx.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points() {
        assert_eq!(parse_percent("19"), Ok(1900));
        assert_eq!(parse_percent("7,5 %"), Ok(750));
        assert_eq!(parse_percent("0.25"), Ok(25));
        assert_eq!(parse_percent("100"), Ok(10_000));
        for bad in ["", "101", "-1", "7.555", "abc", "1e2"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
        assert_eq!(platform_domain::percent_text(1900), "19");
        assert_eq!(platform_domain::percent_text(750), "7.5");
        assert_eq!(platform_domain::percent_text(0), "0");
    }
}
