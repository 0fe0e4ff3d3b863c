//! Store settings: name, contact email, currency, host names, checkout fields (O2) and
//! how long carts are kept.

use platform_domain::{CheckoutFields, Currency, Invalid};
use platform_tenancy::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppState;
use crate::app::domain::{Email, parse_host_name, parse_text};
use crate::db;
use crate::db::settings::SettingsRow;
use crate::error::ApiError;

/// Store settings as the API shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// Shop name.
    pub display_name: String,
    /// Contact email shown to visitors.
    pub contact_email: String,
    /// The one currency the shop prices in.
    pub currency: Currency,
    /// Host names the shop answers at.
    pub host_names: Vec<String>,
    /// For each of name, email, phone, address: required, optional or hidden.
    pub checkout_fields: CheckoutFields,
    /// Days a visitor's cart (cookie) survives without activity, 1..=90 (O4, O15).
    pub cart_ttl_days: i32,
}

/// Store settings as the API and the console's form take them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    /// Shop name.
    pub display_name: String,
    /// Contact email shown to visitors.
    pub contact_email: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Host names.
    pub host_names: Vec<String>,
    /// `{"name": "required", "email": …, "phone": …, "address": …}`.
    #[schema(value_type = CheckoutFields)]
    pub checkout_fields: Value,
    /// 1..=90 (default 30).
    #[serde(default = "default_cart_ttl_days")]
    pub cart_ttl_days: i32,
}

fn default_cart_ttl_days() -> i32 {
    30
}

fn parse_checkout_fields(v: Value) -> Result<CheckoutFields, Invalid> {
    serde_json::from_value(v).map_err(|_| {
        Invalid::new(
            "settings.checkout_fields_invalid",
            "Each of name, email, phone and address must be required, optional or hidden.",
        )
    })
}

/// A host name a shop may be served at: under the platform's shop domain, its own
/// `<handle>.<shop domain>` only (so nobody claims `www.`, `checkout.` or another
/// merchant's future handle); a custom domain only once verified, which this version
/// cannot do yet, so custom domains are refused with their own code.
fn check_host(host: &str, handle: &str, shop_domain: &str) -> Result<(), Invalid> {
    let own = format!("{handle}.{shop_domain}");
    if host == own {
        return Ok(());
    }
    if host == shop_domain || host.ends_with(&format!(".{shop_domain}")) {
        return Err(Invalid::new(
            "settings.host_not_allowed",
            format!("Under {shop_domain} this shop is served at {own} only."),
        ));
    }
    Err(Invalid::new(
        "settings.custom_domain_unverified",
        format!(
            "A custom domain is served once it is verified as yours; until then the shop is served at {own}."
        ),
    ))
}

/// The shop's settings.
pub async fn get(state: &AppState, tenant: TenantId) -> Result<Settings, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let shop = db::shops::get(&mut tx).await?;
    let row = db::settings::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Settings {
        display_name: shop.display_name,
        contact_email: row.contact_email,
        currency: row.currency,
        host_names: shop.host_names,
        checkout_fields: row.checkout_fields,
        cart_ttl_days: row.cart_ttl_days,
    })
}

/// Validates and stores settings. The currency changes only while no variant is priced
/// in the old one: prices are never converted silently.
pub async fn save(
    state: &AppState,
    tenant: TenantId,
    input: SettingsInput,
) -> Result<Settings, ApiError> {
    let display_name = parse_text(
        &input.display_name,
        1,
        100,
        "settings.display_name",
        "The shop name",
    )?;
    let contact_email = Email::parse(&input.contact_email)?;
    let currency = Currency::parse(&input.currency)?;
    let checkout_fields = parse_checkout_fields(input.checkout_fields)?;
    if !(1..=90).contains(&input.cart_ttl_days) {
        return Err(Invalid::new(
            "settings.cart_ttl_invalid",
            "Carts are kept between 1 and 90 days.",
        )
        .into());
    }
    let mut host_names = input
        .host_names
        .iter()
        .map(|h| parse_host_name(h))
        .collect::<Result<Vec<_>, _>>()?;
    host_names.sort();
    host_names.dedup();
    if host_names.is_empty() || host_names.len() > 10 {
        return Err(Invalid::new(
            "settings.host_names_count",
            "A shop has one to ten host names.",
        )
        .into());
    }
    let mut tx = state.db.begin(tenant).await?;
    let shop = db::shops::get(&mut tx).await?;
    for host in &host_names {
        check_host(host, &shop.handle, &state.shop_domain)?;
    }
    let current = db::settings::currency(&mut tx).await?;
    if currency != current && db::settings::variants_priced_otherwise(&mut tx, currency).await? > 0
    {
        return Err(ApiError::conflict(
            "settings.currency_in_use",
            format!(
                "Your products are priced in {current}. Change or remove their prices before the shop's currency changes to {currency}."
            ),
        ));
    }
    db::shops::update(&mut tx, &display_name, &host_names).await?;
    let row = SettingsRow {
        contact_email: contact_email.as_str().to_owned(),
        currency,
        checkout_fields,
        cart_ttl_days: input.cart_ttl_days,
    };
    db::settings::update(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Settings {
        display_name,
        contact_email: row.contact_email,
        currency,
        host_names,
        checkout_fields,
        cart_ttl_days: input.cart_ttl_days,
    })
}

#[cfg(test)]
mod tests {
    use super::check_host;

    #[test]
    fn a_shop_is_served_at_its_own_handle_only() {
        let ok = |h: &str| check_host(h, "alpine", "shop.localhost").map_err(|e| e.code);
        assert_eq!(ok("alpine.shop.localhost"), Ok(()));
        for taken in [
            "www.shop.localhost",
            "checkout.shop.localhost",
            "bamboo.shop.localhost",
            "x.alpine.shop.localhost",
            "shop.localhost",
        ] {
            assert_eq!(ok(taken), Err("settings.host_not_allowed"), "{taken}");
        }
        assert_eq!(
            ok("alpine.example"),
            Err("settings.custom_domain_unverified")
        );
    }
}
