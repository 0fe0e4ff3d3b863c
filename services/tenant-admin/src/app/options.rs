//! A product's named options (size, colour): their names, the combinations its variants
//! make, and renaming, adding or removing an option across every variant.

use platform_domain::{Invalid, ProductId};
use platform_tenancy::TenantId;
use serde_json::Value;

use crate::app::AppState;
use crate::app::products::{load, parse_options};
use crate::db;
use crate::db::products::{Product, ProductFields, VariantFields};
use crate::error::ApiError;

/// Option names as typed: blanks dropped, at most three, each 1–40 characters, no two
/// alike (whatever their case).
pub fn parse_option_names(names: &[String]) -> Result<Vec<String>, Invalid> {
    let names: Vec<String> = names
        .iter()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty())
        .collect();
    let bad = |message: &'static str| Err(Invalid::new("product.option_names_invalid", message));
    if names.len() > 3 {
        return bad("A product has at most three options, such as size, colour and material.");
    }
    if names.iter().any(|n| n.chars().count() > 40) {
        return bad("An option's name is at most 40 characters.");
    }
    let mut seen: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    seen.sort();
    seen.dedup();
    if seen.len() != names.len() {
        return bad("Two options cannot have the same name.");
    }
    Ok(names)
}

/// The option names a product's variants use, alphabetically (for products created
/// without naming them).
pub(crate) fn names_used(options: &[&Value]) -> Vec<String> {
    let mut names: Vec<String> = options
        .iter()
        .filter_map(|o| o.as_object())
        .flat_map(|o| o.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A variant's values in the order of the product's options ("M / blue").
pub fn combination_text(names: &[String], options: &Value) -> String {
    names
        .iter()
        .map(|n| options.get(n).and_then(Value::as_str).unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Every variant gives a value for each option and names no other, and no two variants
/// are the same combination.
pub fn check_combinations(names: &[String], options: &[&Value]) -> Result<(), Invalid> {
    let mut seen = std::collections::BTreeSet::new();
    for o in options {
        let map = o.as_object().map(|m| m.len()).unwrap_or(0);
        if let Some(missing) = names
            .iter()
            .find(|n| o.get(n.as_str()).and_then(Value::as_str).is_none())
        {
            return Err(Invalid::new(
                "variant.option_missing",
                format!("Every variant needs a value for “{missing}”."),
            ));
        }
        if map != names.len() {
            return Err(Invalid::new(
                "variant.option_unknown",
                format!(
                    "A variant names an option this product does not have; its options are {}.",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        let combination: Vec<String> = names
            .iter()
            .map(|n| {
                o.get(n.as_str())
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_lowercase()
            })
            .collect();
        if !seen.insert(combination) && !names.is_empty() {
            return Err(Invalid::new(
                "variant.combination_taken",
                format!("Another variant is already {}.", combination_text(names, o)),
            ));
        }
    }
    Ok(())
}

/// A variant's title: as given, else its option values ("M / blue"), else "Default".
pub(crate) fn variant_title(given: Option<&str>, names: &[String], options: &Value) -> String {
    match given
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "Default")
    {
        Some(t) => t.to_owned(),
        None if !names.is_empty() => combination_text(names, options),
        None => "Default".to_owned(),
    }
}

/// Renames, adds or removes a product's options. Names keep their place: renaming the
/// second renames it in every variant; a blank removes that option from every variant
/// (refused when two variants would then be the same); a new name needs the value the
/// existing variants take (`first_values`, by place).
pub async fn set_options(
    state: &AppState,
    tenant: TenantId,
    product: ProductId,
    names: &[String],
    first_values: &[String],
) -> Result<Product, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let current = load(&mut tx, product).await?;
    // Keep places: blanks stay blanks until the end, then they are dropped.
    let slots: Vec<Option<String>> = (0..3)
        .map(|i| {
            names
                .get(i)
                .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|n| !n.is_empty())
        })
        .collect();
    let new_names = parse_option_names(&slots.iter().flatten().cloned().collect::<Vec<_>>())?;
    let mut updated = Vec::with_capacity(current.variants.len());
    for v in &current.variants {
        let mut map = serde_json::Map::new();
        for (i, slot) in slots.iter().enumerate() {
            let Some(name) = slot else { continue };
            let value = match current.option_names.get(i) {
                Some(old) => v
                    .options
                    .get(old)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                None => None,
            };
            let value = match value {
                Some(value) => value,
                None => {
                    let given = first_values.get(i).map(|t| t.trim()).unwrap_or("");
                    if given.is_empty() {
                        return Err(ApiError::Invalid(Invalid::new(
                            "variant.option_missing",
                            format!("Give the value your current variants have for “{name}”."),
                        )));
                    }
                    given.to_owned()
                }
            };
            map.insert(name.clone(), Value::from(value));
        }
        updated.push(parse_options(Some(Value::Object(map)))?);
    }
    check_combinations(&new_names, &updated.iter().collect::<Vec<_>>())?;
    db::products::update(
        &mut tx,
        product,
        &ProductFields {
            handle: &current.handle,
            title: &current.title,
            description: &current.description,
            status: current.status,
            featured: current.featured,
            thirteen_plus: current.thirteen_plus,
            option_names: &new_names,
        },
    )
    .await?;
    for (v, options) in current.variants.iter().zip(&updated) {
        // A title that only said the old values follows the new ones.
        let old_text = combination_text(&current.option_names, &v.options);
        let title = if v.title == "Default" || v.title == old_text {
            variant_title(None, &new_names, options)
        } else {
            v.title.clone()
        };
        db::products::update_variant(
            &mut tx,
            v.id,
            &VariantFields {
                sku: &v.sku,
                title: &title,
                price_minor: v.price_minor,
                currency: v.currency,
                stock: v.stock,
                options,
            },
        )
        .await?;
    }
    let product = load(&mut tx, product).await?;
    tx.commit().await?;
    Ok(product)
}
