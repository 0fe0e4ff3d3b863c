//! The merchant's export of the whole shop (O13): one ZIP with the shop's settings and
//! policies, the catalog (CSV, the import format), every order with the buyers' details
//! (JSON and CSV), the data requests, the staff and the audit log, and a manifest with
//! each file's size and SHA-256. Owners only, after a fresh password and code; the bundle
//! is sealed under the shop's key and fetched by a 3-day link (only its SHA-256 is
//! kept), and the export is one audit event naming every class it holds.

use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use platform_auth::Token;
use platform_domain::{DataClass, Permission};
use platform_orders_api::ShopOrders;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::{client, failed, require};
use crate::app::staff::{Staff, require_fresh};
use crate::error::ApiError;

/// Vault context of a sealed bundle.
const BUNDLE_FIELD: &str = "shop.export";
/// Days a link works.
pub const LINK_DAYS: i64 = 3;

/// A file in the bundle, as the manifest lists it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ManifestFile {
    /// Its name in the ZIP.
    pub name: String,
    /// Its size.
    pub bytes: u64,
    /// SHA-256 of its content, hex.
    pub sha256: String,
}

/// The manifest (`manifest.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Manifest {
    /// `shop-export/1`.
    pub format: String,
    /// The shop's id.
    pub shop_id: String,
    /// Its name.
    pub shop_name: String,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// Every other file.
    pub files: Vec<ManifestFile>,
}

/// An export as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Made {
    /// Size of the ZIP.
    pub bytes: i64,
    /// SHA-256 of the ZIP.
    pub sha256: Vec<u8>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Until when its link works.
    pub expires_at: DateTime<Utc>,
}

fn orders_csv(orders: &ShopOrders) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "reference",
        "placed_at",
        "status",
        "currency",
        "subtotal_minor",
        "shipping_minor",
        "tax_minor",
        "total_minor",
        "refunded_minor",
        "name",
        "email",
        "phone",
        "ship_name",
        "line1",
        "line2",
        "postal_code",
        "city",
        "region",
        "country",
        "buyer_ip",
        "card",
        "carrier",
        "tracking_number",
    ])?;
    for o in &orders.orders {
        let c = o.contact.clone().unwrap_or_default();
        let a = o.shipping.clone().unwrap_or_default();
        let card = o
            .payment
            .as_ref()
            .and_then(|p| {
                Some(format!(
                    "{} {}",
                    p.card_brand.as_deref()?,
                    p.card_last4.as_deref()?
                ))
            })
            .unwrap_or_default();
        let (carrier, tracking) = o
            .shipment
            .as_ref()
            .map(|s| (s.carrier.clone(), s.tracking_number.clone()))
            .unwrap_or_default();
        w.write_record([
            o.reference.clone(),
            o.placed_at.to_rfc3339(),
            o.status.as_str().to_owned(),
            o.currency.clone(),
            o.subtotal_minor.to_string(),
            o.shipping_minor.to_string(),
            o.tax_minor.to_string(),
            o.total_minor.to_string(),
            o.refunded_minor.to_string(),
            c.name,
            c.email,
            c.phone,
            a.name,
            a.line1,
            a.line2,
            a.postal_code,
            a.city,
            a.region,
            a.country,
            o.buyer_ip.clone().unwrap_or_default(),
            card,
            carrier,
            tracking,
        ])?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Csv(e.into_error().into()))
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec_pretty(value).map_err(|e| ApiError::Bundle(e.into()))
}

/// The ZIP of `files` with the manifest first.
fn zip(manifest: &Manifest, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ApiError> {
    let zerr = |e: zip::result::ZipError| ApiError::Bundle(e.into());
    let ioerr = |e: std::io::Error| ApiError::Bundle(e.into());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("manifest.json", options).map_err(zerr)?;
    zip.write_all(&json(manifest)?).map_err(ioerr)?;
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).map_err(zerr)?;
        zip.write_all(bytes).map_err(ioerr)?;
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

/// Puts the whole shop together, seals it and returns the link's token. Refused while the
/// orders service is away: an export without the orders would not be the whole shop.
pub async fn make(state: &AppState, staff: &Staff) -> Result<Token, ApiError> {
    require(staff, Permission::ManageShop)?;
    require_fresh(state, staff)?;
    let tenant = staff.tenant;
    let orders = client(state)?.shop_orders(tenant).await.map_err(failed)?;
    let requests = client(state)?.requests(tenant).await.map_err(failed)?;
    let settings = crate::app::settings::get(state, tenant).await?;
    let policies = crate::app::policies::versions(state, tenant).await?;
    let team = crate::app::team::team(state, staff).await?;
    let catalog = crate::app::catalog_csv::export(state, tenant).await?;
    let audit_events = {
        let mut tx = state.db.begin(tenant).await?;
        let events = platform_audit::list(
            &mut tx,
            &crate::app::audit::LogQuery::default().filter(None)?,
        )
        .await?;
        tx.commit().await?;
        events
    };
    let now = state.clock.now();
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "shop.json".to_owned(),
            json(&serde_json::json!({ "settings": settings, "privacy_policies": policies }))?,
        ),
        ("products.csv".to_owned(), catalog),
        ("orders.json".to_owned(), json(&orders)?),
        ("orders.csv".to_owned(), orders_csv(&orders)?),
        ("data-requests.json".to_owned(), json(&requests)?),
        ("staff.json".to_owned(), json(&team)?),
        (
            "audit-log.csv".to_owned(),
            crate::app::audit::to_csv(&audit_events)?,
        ),
    ];
    let manifest = Manifest {
        format: "shop-export/1".to_owned(),
        shop_id: tenant.to_string(),
        shop_name: settings.display_name.clone(),
        generated_at: now,
        files: files
            .iter()
            .map(|(name, bytes)| ManifestFile {
                name: name.clone(),
                bytes: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(bytes)),
            })
            .collect(),
    };
    let bundle = zip(&manifest, &files)?;
    let token = Token::generate();
    let mut tx = state.db.begin(tenant).await?;
    let sealed = state
        .vault
        .seal_for_tenant(&mut tx, BUNDLE_FIELD, &bundle)
        .await?;
    sqlx::query(
        "insert into shop_exports (tenant_id, id, token_hash, bundle_sealed, bytes, sha256, \
             created_by, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant)
    .bind(Uuid::new_v4())
    .bind(token.digest())
    .bind(sealed.as_bytes())
    .bind(bundle.len() as i64)
    .bind(Sha256::digest(&bundle).to_vec())
    .bind(staff.staff_id.as_uuid())
    .bind(now)
    .bind(now + Duration::days(LINK_DAYS))
    .execute(&mut tx)
    .await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action: "shop.export",
            objects: Vec::new(),
            classes: DataClass::ALL.to_vec(),
            purpose: "shop export",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The exports whose links still work, newest first.
pub async fn made(state: &AppState, staff: &Staff) -> Result<Vec<Made>, ApiError> {
    require(staff, Permission::ManageShop)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let made = sqlx::query_as(
        "select bytes, sha256, created_at, expires_at from shop_exports \
         where expires_at > $1 order by created_at desc",
    )
    .bind(state.clock.now())
    .fetch_all(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// The ZIP behind a link, for an owner, while the link works.
pub async fn fetch(state: &AppState, staff: &Staff, token: &str) -> Result<Vec<u8>, ApiError> {
    require(staff, Permission::ManageShop)?;
    let token = Token::parse(token).ok_or(ApiError::NotFound)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let sealed: Option<Vec<u8>> = sqlx::query_scalar(
        "select bundle_sealed from shop_exports where token_hash = $1 and expires_at > $2",
    )
    .bind(token.digest())
    .bind(state.clock.now())
    .fetch_optional(&mut tx)
    .await?;
    let sealed = sealed.ok_or(ApiError::NotFound)?;
    let sealed = platform_vault::Sealed::from_bytes(sealed)?;
    let bundle = state.vault.open(&mut tx, BUNDLE_FIELD, &sealed).await?;
    tx.commit().await?;
    Ok(bundle.to_vec())
}
