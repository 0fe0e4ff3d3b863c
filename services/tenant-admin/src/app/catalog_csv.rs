//! Catalog CSV import and export (format: docs/catalog-csv.md).
//!
//! One row per variant. Import validates every row first and reports every bad row with
//! its line number; only a file without errors is applied, in one transaction, upserting
//! products by handle and variants by SKU. Nothing is stored when anything is wrong.

use std::collections::BTreeMap;

use platform_domain::{Currency, Invalid, ProductStatus};
use platform_tenancy::TenantId;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::AppState;
use crate::app::domain::{parse_image_url, parse_sku, parse_slug, parse_status, parse_text};
use crate::app::products::{check_currency, parse_amounts, parse_options};
use crate::db;
use crate::db::products::{ProductFields, VariantFields};
use crate::error::ApiError;

/// The header row, in order.
pub const COLUMNS: [&str; 12] = [
    "product_handle",
    "product_title",
    "product_description",
    "product_status",
    "product_featured",
    "image_urls",
    "sku",
    "variant_title",
    "price_minor",
    "currency",
    "stock",
    "options",
];

/// Largest accepted file.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The refusal of a larger file.
pub const TOO_LARGE: ApiError =
    ApiError::TooLarge("catalog.csv_too_large", "The file is larger than 10 MB.");

#[derive(Debug, Clone, PartialEq)]
struct ProductRow {
    title: String,
    description: String,
    status: ProductStatus,
    featured: bool,
    image_urls: Vec<String>,
}

#[derive(Debug, Clone)]
struct VariantRow {
    sku: String,
    title: String,
    price_minor: i64,
    stock: i32,
    options: Value,
    /// The option names in the order the row types them.
    option_order: Vec<String>,
}

fn bad(code: &'static str, message: impl Into<std::borrow::Cow<'static, str>>) -> Invalid {
    Invalid::new(code, message)
}

fn parse_options_text(text: &str) -> Result<Value, Invalid> {
    let mut map = Map::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            bad(
                "variant.options_invalid",
                "Options are written name=value;name=value.",
            )
        })?;
        map.insert(k.trim().to_owned(), Value::from(v.trim()));
    }
    parse_options(Some(Value::Object(map)))
}

/// A variant's options as `name=value;…`, in the order of the product's option names
/// (then any others).
fn options_text(v: &Value, names: &[String]) -> String {
    let Some(o) = v.as_object() else {
        return String::new();
    };
    let mut keys: Vec<&String> = names
        .iter()
        .filter(|n| o.contains_key(n.as_str()))
        .collect();
    keys.extend(o.keys().filter(|k| !names.contains(k)));
    keys.iter()
        .map(|k| {
            format!(
                "{k}={}",
                o.get(k.as_str()).and_then(Value::as_str).unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_row(
    record: &csv::StringRecord,
    currency: Currency,
) -> Result<(String, ProductRow, VariantRow), Invalid> {
    let field = |i: usize| record.get(i).unwrap_or("").trim();
    if record.len() != COLUMNS.len() {
        return Err(bad(
            "catalog.csv_columns",
            format!("expected {} columns, found {}", COLUMNS.len(), record.len()),
        ));
    }
    let handle = parse_slug(field(0), "product.handle_invalid")?;
    let product = ProductRow {
        title: parse_text(
            field(1),
            1,
            200,
            "product.title_invalid",
            "The product title",
        )?,
        description: crate::app::products::description_of(field(2))?,
        status: parse_status(if field(3).is_empty() {
            "draft"
        } else {
            field(3)
        })?,
        featured: match field(4) {
            "" | "false" | "no" | "0" => false,
            "true" | "yes" | "1" => true,
            _ => {
                return Err(bad(
                    "product.featured_invalid",
                    "product_featured is true or false.",
                ));
            }
        },
        image_urls: field(5)
            .split_whitespace()
            .map(parse_image_url)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let price_minor: i64 = field(8).parse().map_err(|_| {
        bad(
            "variant.price_invalid",
            "price_minor is a whole number of minor units (cents).",
        )
    })?;
    let stock: i32 = if field(10).is_empty() {
        0
    } else {
        field(10)
            .parse()
            .map_err(|_| bad("variant.stock_invalid", "stock is a whole number."))?
    };
    parse_amounts(price_minor, stock)?;
    check_currency(Some(field(9)), currency)?;
    let variant = VariantRow {
        sku: parse_sku(field(6))?,
        title: parse_text(
            if field(7).is_empty() {
                "Default"
            } else {
                field(7)
            },
            1,
            200,
            "variant.title_invalid",
            "A variant title",
        )?,
        price_minor,
        stock,
        options: parse_options_text(field(11))?,
        option_order: field(11)
            .split(';')
            .filter_map(|pair| pair.split_once('=').map(|(k, _)| k.trim().to_owned()))
            .filter(|k| !k.is_empty())
            .collect(),
    };
    Ok((handle, product, variant))
}

/// Whether a whole file would be accepted for a shop pricing in `currency` (the fuzz
/// targets' entry: parsing only, nothing stored).
pub fn accepts(bytes: &[u8], currency: Currency) -> bool {
    parse_file(bytes, currency).is_ok()
}

/// Parses and validates a whole file for a shop pricing in `currency`; every problem is
/// reported with its line.
fn parse_file(
    bytes: &[u8],
    currency: Currency,
) -> Result<Vec<(String, ProductRow, Vec<VariantRow>)>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|_| bad("catalog.csv_unreadable", "The file is not valid CSV."))?
        .clone();
    if headers.iter().map(str::trim).ne(COLUMNS.iter().copied()) {
        return Err(bad(
            "catalog.csv_header",
            format!("The first row must be: {}", COLUMNS.join(",")),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut products: BTreeMap<String, (usize, ProductRow, Vec<VariantRow>)> = BTreeMap::new();
    let mut skus: BTreeMap<String, usize> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push((
                    line,
                    bad("catalog.csv_unreadable", "This line is not valid CSV."),
                ));
                continue;
            }
        };
        match parse_row(&record, currency) {
            Err(e) => errors.push((line, e)),
            Ok((handle, product, variant)) => {
                if let Some(first) = skus.insert(variant.sku.clone(), line) {
                    errors.push((
                        line,
                        bad(
                            "variant.sku_duplicate",
                            format!("SKU {} already appears on line {first}.", variant.sku),
                        ),
                    ));
                    continue;
                }
                match products.get_mut(&handle) {
                    Some((first, existing, variants)) => {
                        if *existing != product {
                            errors.push((line, bad("catalog.csv_product_mismatch", format!("The product columns differ from line {first} for the same handle."))));
                        } else {
                            variants.push(variant);
                        }
                    }
                    None => {
                        products.insert(handle, (line, product, vec![variant]));
                    }
                }
            }
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidRows(errors));
    }
    if products.is_empty() {
        return Err(bad("catalog.csv_empty", "The file has no rows.").into());
    }
    Ok(products
        .into_iter()
        .map(|(h, (_, p, v))| (h, p, v))
        .collect())
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Products in the file.
    pub products: usize,
    /// Of which new.
    pub products_created: usize,
    /// Variants in the file.
    pub variants: usize,
    /// The pictures the file lists by address (fetched after the rows are stored).
    pub pictures: crate::app::images::PicturesImported,
}

/// Validates and applies a file: everything or, when any row is wrong, nothing.
pub async fn import(
    state: &AppState,
    tenant: TenantId,
    body: &[u8],
) -> Result<ImportSummary, ApiError> {
    if body.len() > MAX_BYTES {
        return Err(TOO_LARGE);
    }
    let mut tx = state.db.begin(tenant).await?;
    let currency = db::settings::currency(&mut tx).await?;
    let products = parse_file(body, currency)?;
    let (mut created, mut variants) = (0usize, 0usize);
    let mut pictures = Vec::new();
    for (handle, p, vs) in &products {
        // The product's options, in the order its first row names them.
        let option_names = crate::app::options::parse_option_names(
            &vs.first()
                .map(|v| v.option_order.clone())
                .unwrap_or_default(),
        )?;
        crate::app::options::check_combinations(
            &option_names,
            &vs.iter().map(|v| &v.options).collect::<Vec<_>>(),
        )
        .map_err(|e| Invalid::new(e.code, format!("Product “{handle}”: {}", e.message)))?;
        let (product_id, inserted) = db::catalog_csv::upsert_product(
            &mut tx,
            &ProductFields {
                handle,
                title: &p.title,
                description: &p.description,
                status: p.status,
                featured: p.featured,
                // Not in the CSV format: an import leaves the console's 13+ mark alone.
                thirteen_plus: false,
                option_names: &option_names,
            },
        )
        .await?;
        created += usize::from(inserted);
        pictures.push((product_id, handle.clone(), p.image_urls.clone()));
        for (position, v) in vs.iter().enumerate() {
            db::catalog_csv::upsert_variant(
                &mut tx,
                product_id,
                i32::try_from(position).unwrap_or(i32::MAX),
                &VariantFields {
                    sku: &v.sku,
                    title: &v.title,
                    price_minor: v.price_minor,
                    currency,
                    stock: v.stock,
                    options: &v.options,
                },
            )
            .await?;
            variants += 1;
        }
    }
    tx.commit().await?;
    let pictures = crate::app::images::import_urls(state, tenant, &pictures).await?;
    Ok(ImportSummary {
        products: products.len(),
        products_created: created,
        variants,
        pictures,
    })
}

/// The whole catalog as CSV, one row per variant.
pub async fn export(state: &AppState, tenant: TenantId) -> Result<Vec<u8>, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let rows = db::catalog_csv::export_rows(&mut tx).await?;
    tx.commit().await?;
    // Uploaded pictures are listed by their address on the shop, so a file exported and
    // imported again keeps them.
    let shop = crate::app::shops::overview(state, tenant).await?.url;
    let address = |u: &String| match (&shop, u.starts_with('/')) {
        (Some(base), true) => format!("{}{u}", base.trim_end_matches('/')),
        _ => u.clone(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for r in rows {
        writer.write_record([
            r.handle,
            r.product_title,
            r.description,
            r.status.to_string(),
            r.featured.to_string(),
            r.image_urls
                .iter()
                .map(address)
                .collect::<Vec<_>>()
                .join(" "),
            r.sku,
            r.variant_title,
            r.price_minor.to_string(),
            r.currency.to_string(),
            r.stock.to_string(),
            options_text(&r.options, &r.option_names),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Csv(csv::Error::from(e.into_error())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "product_handle,product_title,product_description,product_status,product_featured,image_urls,sku,variant_title,price_minor,currency,stock,options\n";

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let file = format!(
            "{HEADER}mug,Mug,,active,true,,MUG-S,Small,1200,EUR,5,size=S\n\
             mug,Mug,,active,true,,MUG-S,Large,1500,EUR,5,size=L\n\
             bad handle,X,,active,,,X-1,,100,EUR,,\n\
             tee,Tee,,active,,,TEE-1,,-5,EUR,,\n\
             tee2,Tee,,active,,,TEE-2,,5,EURO,,\n\
             tee3,Tee,,active,,,TEE-3,,5,CHF,,\n"
        );
        let Err(ApiError::InvalidRows(rows)) = parse_file(file.as_bytes(), Currency::EUR) else {
            panic!("expected row errors");
        };
        let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7]);
        assert_eq!(rows[0].1.code, "variant.sku_duplicate");
        assert_eq!(rows[2].1.code, "variant.price_invalid");
        assert_eq!(rows[3].1.code, "currency.unknown");
        assert_eq!(
            rows[4].1.code, "variant.currency_mismatch",
            "one currency per shop"
        );
    }

    #[test]
    fn a_good_file_groups_variants_by_product() {
        let file = format!(
            "{HEADER}mug,Mug,Big mug,active,true,https://img.example/mug.jpg,MUG-S,Small,1200,EUR,5,size=S;colour=blue\n\
             mug,Mug,Big mug,active,true,https://img.example/mug.jpg,MUG-L,Large,1500,EUR,2,size=L\n"
        );
        let products = parse_file(file.as_bytes(), Currency::EUR).unwrap();
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].2.len(), 2);
        let names = ["size".to_owned(), "colour".to_owned()];
        assert_eq!(
            options_text(&products[0].2[0].options, &names),
            "size=S;colour=blue"
        );
        assert_eq!(products[0].2[0].option_order, names);
        assert!(parse_file(b"wrong,header\n", Currency::EUR).is_err());
    }
}
