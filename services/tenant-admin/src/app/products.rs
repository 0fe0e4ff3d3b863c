//! The catalog's products and variants. A shop prices in one currency: a variant in
//! another is refused here (and, should that ever be bypassed, by the database).

use platform_domain::{Currency, Invalid, Money, ProductId, ProductStatus, VariantId};
use platform_tenancy::{TenantId, TenantTx};
use serde::Deserialize;
use serde_json::Value;

use crate::app::AppState;
use crate::app::domain::{parse_prose, parse_sku, parse_slug, parse_status, parse_text, slugify};
use crate::app::options::{
    check_combinations, combination_text, names_used, parse_option_names, variant_title,
};
use crate::db;
use crate::db::products::{Product, ProductFields, Variant, VariantFields};
use crate::error::ApiError;

/// Most products a list shows.
pub const LIST_LIMIT: i64 = 500;

/// A variant to create.
#[derive(Debug, Deserialize, Clone, utoipa::ToSchema)]
pub struct VariantInput {
    /// SKU.
    pub sku: String,
    /// Title (default "Default").
    pub title: Option<String>,
    /// Price in minor units of the shop's currency.
    pub price_minor: i64,
    /// Currency; when given it must be the shop's.
    pub currency: Option<String>,
    /// Stock (default 0).
    pub stock: Option<i32>,
    /// Options (default none): up to three name/value pairs.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

/// A product to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProductInput {
    /// Title.
    pub title: String,
    /// Handle (default: from the title).
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status (default draft).
    pub status: Option<String>,
    /// Featured (default false).
    pub featured: Option<bool>,
    /// For visitors of 13 and over only (default false; O19).
    pub thirteen_plus: Option<bool>,
    /// Names of its options (size, colour), in the order shoppers choose; at most three.
    /// Default: the names its variants' options use, alphabetically.
    pub option_names: Option<Vec<String>>,
    /// Variants.
    pub variants: Option<Vec<VariantInput>>,
}

/// Changes to a product (absent fields stay).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ProductPatch {
    /// Title.
    pub title: Option<String>,
    /// Handle.
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Featured.
    pub featured: Option<bool>,
    /// For visitors of 13 and over only.
    pub thirteen_plus: Option<bool>,
}

/// Changes to a variant (absent fields stay).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct VariantPatch {
    /// SKU.
    pub sku: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Price in minor units.
    pub price_minor: Option<i64>,
    /// Stock.
    pub stock: Option<i32>,
    /// Options.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
}

/// Validates variant options: an object of up to 3 short string values.
pub fn parse_options(v: Option<Value>) -> Result<Value, Invalid> {
    let v = v.unwrap_or_else(|| Value::Object(Default::default()));
    let ok = v.as_object().is_some_and(|o| {
        o.len() <= 3
            && o.iter().all(|(k, v)| {
                (1..=40).contains(&k.chars().count())
                    && v.as_str()
                        .is_some_and(|s| (1..=100).contains(&s.chars().count()))
            })
    });
    if ok {
        Ok(v)
    } else {
        Err(Invalid::new(
            "variant.options_invalid",
            "Options are up to three name/value pairs of text, such as size and colour.",
        ))
    }
}

/// Validates a price and a stock level.
pub fn parse_amounts(price_minor: i64, stock: i32) -> Result<(), Invalid> {
    if !(0..=100_000_000_000).contains(&price_minor) {
        return Err(Invalid::new(
            "variant.price_invalid",
            "The price must be between 0 and 1,000,000,000.00.",
        ));
    }
    if stock < 0 {
        return Err(Invalid::new(
            "variant.stock_invalid",
            "Stock cannot be negative.",
        ));
    }
    Ok(())
}

/// A price typed in a form (`12.50`), in the shop's currency.
pub fn parse_price(text: &str, currency: Currency) -> Result<i64, Invalid> {
    Money::parse(text, currency).map(|m| m.minor).map_err(|_| {
        Invalid::new(
            "variant.price_invalid",
            format!(
                "Please enter the price as a number, such as {}.",
                Money::new(1250, currency).amount_text()
            ),
        )
    })
}

/// A currency named with a variant: absent, or the shop's.
pub fn check_currency(named: Option<&str>, shop: Currency) -> Result<(), Invalid> {
    match named {
        None => Ok(()),
        Some(c) if Currency::parse(c)? == shop => Ok(()),
        Some(c) => Err(Invalid::new(
            "variant.currency_mismatch",
            format!(
                "This shop prices in {shop}; {} is not accepted.",
                c.trim().to_ascii_uppercase()
            ),
        )),
    }
}

fn title_of(raw: &str) -> Result<String, Invalid> {
    parse_text(raw, 1, 200, "product.title_invalid", "The title")
}

/// A product description, as the form, the API and the CSV import take it.
pub fn description_of(raw: &str) -> Result<String, Invalid> {
    parse_prose(
        raw,
        0,
        20_000,
        "product.description_invalid",
        "The description",
    )
}

async fn insert_variant(
    tx: &mut TenantTx,
    product: ProductId,
    position: usize,
    input: VariantInput,
    currency: Currency,
    option_names: &[String],
) -> Result<VariantId, ApiError> {
    check_currency(input.currency.as_deref(), currency)?;
    let sku = parse_sku(&input.sku)?;
    let options = parse_options(input.options)?;
    let title = parse_text(
        &variant_title(input.title.as_deref(), option_names, &options),
        1,
        200,
        "variant.title_invalid",
        "A variant title",
    )?;
    let stock = input.stock.unwrap_or(0);
    parse_amounts(input.price_minor, stock)?;
    db::products::insert_variant(
        tx,
        product,
        i32::try_from(position).unwrap_or(i32::MAX),
        &VariantFields {
            sku: &sku,
            title: &title,
            price_minor: input.price_minor,
            currency,
            stock,
            options: &options,
        },
    )
    .await
}

pub(crate) async fn load(tx: &mut TenantTx, id: ProductId) -> Result<Product, ApiError> {
    db::products::get(tx, id).await?.ok_or(ApiError::NotFound)
}

/// Creates a product with its variants.
pub async fn create(
    state: &AppState,
    tenant: TenantId,
    input: ProductInput,
) -> Result<Product, ApiError> {
    let title = title_of(&input.title)?;
    let handle = match input.handle.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(h) => parse_slug(h, "product.handle_invalid")?,
        None => parse_slug(&slugify(&title), "product.handle_invalid")?,
    };
    let description = description_of(input.description.as_deref().unwrap_or(""))?;
    let status = match input.status.as_deref() {
        Some(s) => parse_status(s)?,
        None => ProductStatus::Draft,
    };
    let variants = input
        .variants
        .unwrap_or_default()
        .into_iter()
        .map(|mut v| {
            v.options = Some(parse_options(v.options.take())?);
            Ok(v)
        })
        .collect::<Result<Vec<_>, Invalid>>()?;
    let options: Vec<&Value> = variants.iter().filter_map(|v| v.options.as_ref()).collect();
    let option_names = match &input.option_names {
        Some(names) => parse_option_names(names)?,
        None => names_used(&options),
    };
    check_combinations(&option_names, &options)?;
    let id = ProductId::random();
    let mut tx = state.db.begin(tenant).await?;
    db::products::insert(
        &mut tx,
        id,
        &ProductFields {
            handle: &handle,
            title: &title,
            description: &description,
            status,
            featured: input.featured.unwrap_or(false),
            thirteen_plus: input.thirteen_plus.unwrap_or(false),
            option_names: &option_names,
        },
    )
    .await?;
    let currency = db::settings::currency(&mut tx).await?;
    for (i, v) in variants.into_iter().enumerate() {
        insert_variant(&mut tx, id, i, v, currency, &option_names).await?;
    }
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(product)
}

/// One product.
pub async fn get(state: &AppState, tenant: TenantId, id: ProductId) -> Result<Product, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(product)
}

/// The newest products, of one status if given.
pub async fn list(
    state: &AppState,
    tenant: TenantId,
    status: Option<&str>,
) -> Result<Vec<Product>, ApiError> {
    let status = status.map(parse_status).transpose()?;
    let mut tx = state.db.begin(tenant).await?;
    let products = db::products::list(&mut tx, status, LIST_LIMIT).await?;
    tx.commit().await?;
    Ok(products)
}

/// Changes a product's fields.
pub async fn update(
    state: &AppState,
    tenant: TenantId,
    id: ProductId,
    patch: ProductPatch,
) -> Result<Product, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let current = load(&mut tx, id).await?;
    let title = title_of(patch.title.as_deref().unwrap_or(&current.title))?;
    let handle = parse_slug(
        patch.handle.as_deref().unwrap_or(&current.handle),
        "product.handle_invalid",
    )?;
    let description = description_of(patch.description.as_deref().unwrap_or(&current.description))?;
    let status = match patch.status.as_deref() {
        Some(s) => parse_status(s)?,
        None => current.status,
    };
    db::products::update(
        &mut tx,
        id,
        &ProductFields {
            handle: &handle,
            title: &title,
            description: &description,
            status,
            featured: patch.featured.unwrap_or(current.featured),
            thirteen_plus: patch.thirteen_plus.unwrap_or(current.thirteen_plus),
            option_names: &current.option_names,
        },
    )
    .await?;
    let product = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(product)
}

/// Deletes a product and its variants.
pub async fn delete(state: &AppState, tenant: TenantId, id: ProductId) -> Result<(), ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    if !db::products::delete(&mut tx, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    crate::app::images::sweep(state, tenant).await;
    Ok(())
}

/// Adds a variant to a product, after its others.
pub async fn add_variant(
    state: &AppState,
    tenant: TenantId,
    product: ProductId,
    input: VariantInput,
) -> Result<Product, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let current = load(&mut tx, product).await?;
    let currency = db::settings::currency(&mut tx).await?;
    check_currency(input.currency.as_deref(), currency)?;
    let added = parse_options(input.options.clone())?;
    let mut options: Vec<&Value> = current.variants.iter().map(|v| &v.options).collect();
    options.push(&added);
    check_combinations(&current.option_names, &options)?;
    insert_variant(
        &mut tx,
        product,
        current.variants.len(),
        input,
        currency,
        &current.option_names,
    )
    .await?;
    let updated = load(&mut tx, product).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Changes a variant's fields.
pub async fn update_variant(
    state: &AppState,
    tenant: TenantId,
    id: VariantId,
    patch: VariantPatch,
) -> Result<Variant, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product_id = db::products::product_of_variant(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let product = load(&mut tx, product_id).await?;
    let current = product
        .variants
        .iter()
        .find(|v| v.id == id)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let sku = parse_sku(patch.sku.as_deref().unwrap_or(&current.sku))?;
    // A title that only said its values follows them; one the merchant wrote stays.
    let auto = current.title == combination_text(&product.option_names, &current.options);
    let options = parse_options(Some(patch.options.unwrap_or(current.options)))?;
    let given = match patch.title.as_deref() {
        // The form sends the title back as shown: unchanged, it still follows the values.
        Some(t) if auto && t.trim() == current.title => None,
        Some(t) => Some(t),
        None if auto => None,
        None => Some(current.title.as_str()),
    };
    let title = parse_text(
        &variant_title(given, &product.option_names, &options),
        1,
        200,
        "variant.title_invalid",
        "A variant title",
    )?;
    let price_minor = patch.price_minor.unwrap_or(current.price_minor);
    let stock = patch.stock.unwrap_or(current.stock);
    parse_amounts(price_minor, stock)?;
    let all: Vec<&Value> = product
        .variants
        .iter()
        .map(|v| if v.id == id { &options } else { &v.options })
        .collect();
    check_combinations(&product.option_names, &all)?;
    let updated = db::products::update_variant(
        &mut tx,
        id,
        &VariantFields {
            sku: &sku,
            title: &title,
            price_minor,
            currency: current.currency,
            stock,
            options: &options,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// The product a variant belongs to.
pub async fn product_of_variant(
    state: &AppState,
    tenant: TenantId,
    id: VariantId,
) -> Result<ProductId, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = db::products::product_of_variant(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(product)
}

/// Deletes a variant.
pub async fn delete_variant(
    state: &AppState,
    tenant: TenantId,
    id: VariantId,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = db::products::product_of_variant(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if load(&mut tx, product).await?.variants.len() <= 1 {
        return Err(ApiError::Conflict {
            code: "variant.last",
            message:
                "A product keeps at least one variant: change this one, or delete the product."
                    .into(),
        });
    }
    if !db::products::delete_variant(&mut tx, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// The shop's currency (forms show and parse prices in it).
pub async fn currency(state: &AppState, tenant: TenantId) -> Result<Currency, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let currency = db::settings::currency(&mut tx).await?;
    tx.commit().await?;
    Ok(currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_in_the_shops_currency() {
        let eur = Currency::EUR;
        assert_eq!(parse_price("12.50", eur), Ok(1250));
        assert_eq!(parse_price("12.5", eur), Ok(1250));
        assert_eq!(parse_price("12", eur), Ok(1200));
        assert_eq!(parse_price("0.05", eur), Ok(5));
        assert!(parse_price("-1", eur).is_err());
        assert!(parse_price("1.234", eur).is_err());
        assert!(parse_price("abc", eur).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(parse_price("1500", jpy), Ok(1500));
        assert_eq!(
            parse_price("15.5", jpy).map_err(|e| e.code),
            Err("variant.price_invalid")
        );
    }

    #[test]
    fn a_variant_in_another_currency_is_refused() {
        let eur = Currency::EUR;
        assert!(check_currency(None, eur).is_ok());
        assert!(check_currency(Some("eur"), eur).is_ok());
        assert_eq!(
            check_currency(Some("CHF"), eur).map_err(|e| e.code),
            Err("variant.currency_mismatch")
        );
        assert_eq!(
            check_currency(Some("XYZ"), eur).map_err(|e| e.code),
            Err("currency.unknown")
        );
    }
}
