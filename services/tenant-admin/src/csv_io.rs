//! Catalog CSV import and export (format: docs/catalog-csv.md).
//!
//! One row per variant. Import validates every row first and reports every bad row with
//! its line number; only a file without errors is applied, in one transaction, upserting
//! products by handle and variants by SKU. Nothing is stored when anything is wrong.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::catalog::{PRODUCT_CONFLICTS, parse_amounts, parse_options, parse_status};
use crate::domain::{Currency, Invalid, parse_image_url, parse_sku, parse_slug, parse_text};
use crate::error::on_constraint;
use crate::session::Staff;
use crate::{ApiError, AppState};

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
const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
struct ProductRow {
    title: String,
    description: String,
    status: String,
    featured: bool,
    image_urls: Vec<String>,
}

#[derive(Debug, Clone)]
struct VariantRow {
    sku: String,
    title: String,
    price_minor: i64,
    currency: String,
    stock: i32,
    options: Value,
}

fn bad(code: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        code,
        message: message.into(),
    }
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

fn options_text(v: &Value) -> String {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(";")
        })
        .unwrap_or_default()
}

fn parse_row(record: &csv::StringRecord) -> Result<(String, ProductRow, VariantRow), Invalid> {
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
        description: parse_text(
            field(2),
            0,
            20_000,
            "product.description_invalid",
            "The description",
        )?,
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
        currency: Currency::parse(field(9))?.as_str().to_owned(),
        stock,
        options: parse_options_text(field(11))?,
    };
    Ok((handle, product, variant))
}

/// Parses and validates a whole file; every problem is reported with its line.
fn parse_file(bytes: &[u8]) -> Result<Vec<(String, ProductRow, Vec<VariantRow>)>, ApiError> {
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
        match parse_row(&record) {
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

/// `POST /api/v1/catalog.csv`.
pub async fn import_csv(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> Result<Response, ApiError> {
    let summary = import(&state, &staff, &body).await?;
    Ok(axum::Json(summary).into_response())
}

/// Validates and applies a file (API and console): `{products, products_created, variants}`.
pub async fn import(
    state: &AppState,
    staff: &Staff,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    staff.require_owner()?;
    if body.len() > MAX_BYTES {
        return Err(bad("catalog.csv_too_large", "The file is larger than 10 MB.").into());
    }
    let products = parse_file(body)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let (mut created, mut variants) = (0usize, 0usize);
    for (handle, p, vs) in &products {
        let (product_id, inserted): (Uuid, bool) = sqlx::query_as(
            "insert into products (tenant_id, id, handle, title, description, status, featured, image_urls) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) \
             on conflict (tenant_id, handle) do update set title = excluded.title, \
                 description = excluded.description, status = excluded.status, \
                 featured = excluded.featured, image_urls = excluded.image_urls, updated_at = now() \
             returning id, (xmax = 0)",
        )
        .bind(staff.tenant)
        .bind(Uuid::new_v4())
        .bind(handle)
        .bind(&p.title)
        .bind(&p.description)
        .bind(&p.status)
        .bind(p.featured)
        .bind(&p.image_urls)
        .fetch_one(&mut tx)
        .await
        .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
        created += usize::from(inserted);
        for (position, v) in vs.iter().enumerate() {
            sqlx::query(
                "insert into variants (tenant_id, id, product_id, sku, title, price_minor, currency, stock, options, position) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 on conflict (tenant_id, sku) do update set product_id = excluded.product_id, \
                     title = excluded.title, price_minor = excluded.price_minor, currency = excluded.currency, \
                     stock = excluded.stock, options = excluded.options, position = excluded.position",
            )
            .bind(staff.tenant)
            .bind(Uuid::new_v4())
            .bind(product_id)
            .bind(&v.sku)
            .bind(&v.title)
            .bind(v.price_minor)
            .bind(&v.currency)
            .bind(v.stock)
            .bind(&v.options)
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .execute(&mut tx)
            .await
            .map_err(|e| on_constraint(e, PRODUCT_CONFLICTS))?;
            variants += 1;
        }
    }
    tx.commit().await?;
    Ok(json!({
        "products": products.len(),
        "products_created": created,
        "variants": variants,
    }))
}

/// `GET /api/v1/catalog.csv`.
pub async fn export_csv(State(state): State<AppState>, staff: Staff) -> Result<Response, ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        String,
        String,
        bool,
        Vec<String>,
        String,
        String,
        i64,
        String,
        i32,
        Value,
    )> = sqlx::query_as(
        "select p.handle, p.title, p.description, p.status, p.featured, p.image_urls, \
                    v.sku, v.title, v.price_minor, v.currency, v.stock, v.options \
             from products p join variants v on v.tenant_id = p.tenant_id and v.product_id = p.id \
             where p.tenant_id = $1 order by p.handle, v.position, v.sku",
    )
    .bind(staff.tenant)
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: &[String]| {
        w.write_record(rec)
            .map_err(|e| ApiError::Internal(e.to_string()))
    };
    write(&mut writer, &COLUMNS.map(str::to_owned))?;
    for r in rows {
        write(
            &mut writer,
            &[
                r.0,
                r.1,
                r.2,
                r.3,
                r.4.to_string(),
                r.5.join(" "),
                r.6,
                r.7,
                r.8.to_string(),
                r.9,
                r.10.to_string(),
                options_text(&r.11),
            ],
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = bytes.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"catalog.csv\""),
    );
    Ok(response)
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
             tee2,Tee,,active,,,TEE-2,,5,EURO,,\n"
        );
        let Err(ApiError::InvalidRows(rows)) = parse_file(file.as_bytes()) else {
            panic!("expected row errors");
        };
        let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 4, 5, 6]);
        assert_eq!(rows[0].1.code, "variant.sku_duplicate");
        assert_eq!(rows[2].1.code, "variant.price_invalid");
        assert_eq!(rows[3].1.code, "currency.unknown");
    }

    #[test]
    fn a_good_file_groups_variants_by_product() {
        let file = format!(
            "{HEADER}mug,Mug,Big mug,active,true,https://img.example/mug.jpg,MUG-S,Small,1200,EUR,5,size=S;colour=blue\n\
             mug,Mug,Big mug,active,true,https://img.example/mug.jpg,MUG-L,Large,1500,EUR,2,size=L\n"
        );
        let products = parse_file(file.as_bytes()).unwrap();
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].2.len(), 2);
        assert_eq!(
            options_text(&products[0].2[0].options),
            "colour=blue;size=S"
        );
        assert!(parse_file(b"wrong,header\n").is_err());
    }
}
