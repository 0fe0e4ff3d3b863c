//! Product pictures: upload, alt text, order, removal.
//!
//! An upload is refused before any work when the product has its 20 pictures; then it is
//! checked and resized off the async threads (two at a time, so a burst of uploads cannot
//! starve the console), its widths stored, and only then its row written. A row therefore
//! never names objects that were not stored. When the row cannot be written the objects
//! are removed again.
//!
//! Removing a picture (or its product) deletes the row in the same transaction as the
//! change; a trigger records the picture as garbage, and [`sweep`] removes its objects
//! after the commit and forgets it. Objects that cannot be removed stay recorded and are
//! removed by the shop's next sweep.

use axum::body::Bytes;
use platform_domain::{ImageId, Invalid, ProductId};
use platform_images::{ImageError, ImageStore, MAX_ALT_CHARS, MAX_PER_PRODUCT};
use platform_tenancy::TenantId;
use tokio::sync::Semaphore;

use crate::app::AppState;
use crate::db;
use crate::db::images::{Image, NewImage};
use crate::error::ApiError;

/// Pictures decoded and resized at once (each takes a core for tens of milliseconds).
static PREPARING: Semaphore = Semaphore::const_new(2);

fn store(state: &AppState) -> Result<&ImageStore, ApiError> {
    state.images.as_ref().ok_or(ApiError::ImagesUnavailable)
}

/// Alt text as typed: one line, at most 300 characters (empty is allowed but the console
/// asks for it).
pub fn parse_alt(raw: &str) -> Result<String, Invalid> {
    let alt = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if alt.chars().count() > MAX_ALT_CHARS {
        return Err(Invalid::new(
            "image.alt_too_long",
            "Alt text is at most 300 characters: say what the picture shows.",
        ));
    }
    Ok(alt)
}

/// The refusal of an upload form sent without a file.
pub fn missing() -> ApiError {
    ApiError::Invalid(Invalid::new("image.missing", "Choose a picture to upload."))
}

fn too_many() -> ApiError {
    ApiError::Invalid(Invalid::new(
        "image.too_many",
        "A product has at most 20 pictures. Remove one to add another.",
    ))
}

/// Checks, resizes and stores a picture of `product`; returns it.
pub async fn upload(
    state: &AppState,
    tenant: TenantId,
    product: ProductId,
    file: Bytes,
    alt: &str,
) -> Result<Image, ApiError> {
    upload_from(state, tenant, product, file, alt, None).await
}

async fn upload_from(
    state: &AppState,
    tenant: TenantId,
    product: ProductId,
    file: Bytes,
    alt: &str,
    source_url: Option<&str>,
) -> Result<Image, ApiError> {
    store(state)?;
    let alt = parse_alt(alt)?;
    {
        let mut tx = state.db.begin(tenant).await?;
        match db::images::lock_product(&mut tx, product).await? {
            None => return Err(ApiError::NotFound),
            Some(n) if n >= MAX_PER_PRODUCT => return Err(too_many()),
            Some(_) => {}
        }
        tx.commit().await?;
    }
    let stored = prepare_and_store(state, tenant, file).await?;
    let row = stored.row(&alt, source_url);
    let written = async {
        let mut tx = state.db.begin(tenant).await?;
        match db::images::lock_product(&mut tx, product).await? {
            None => return Err(ApiError::NotFound),
            Some(n) if n >= MAX_PER_PRODUCT => return Err(too_many()),
            Some(_) => {}
        }
        db::images::insert(&mut tx, product, &row).await?;
        let image = db::images::get(&mut tx, stored.id)
            .await?
            .ok_or(ApiError::NotFound)?;
        tx.commit().await?;
        Ok(image)
    }
    .await;
    if written.is_err() {
        forget_unsaved(state, tenant, stored.id).await;
    }
    written
}

/// A picture checked, resized and in the object store, whose row is yet to be written.
pub struct Stored {
    /// Its id (the objects' prefix).
    pub id: ImageId,
    format: &'static str,
    width: i32,
    height: i32,
    widths: Vec<i32>,
    bytes: i64,
}

impl Stored {
    /// The row that names it.
    pub fn row<'a>(&'a self, alt: &'a str, source_url: Option<&'a str>) -> NewImage<'a> {
        NewImage {
            id: self.id,
            alt,
            format: self.format,
            width: self.width,
            height: self.height,
            widths: &self.widths,
            bytes: self.bytes,
            source_url,
        }
    }
}

/// Checks and resizes a picture off the async threads (two at a time) and stores its
/// widths under the shop. The caller writes its row, or calls [`forget_unsaved`].
pub async fn prepare_and_store(
    state: &AppState,
    tenant: TenantId,
    file: Bytes,
) -> Result<Stored, ApiError> {
    let store = store(state)?;
    let prepared = {
        let _slot = PREPARING
            .acquire()
            .await
            .map_err(|_| ApiError::Image(ImageError::Encode))?;
        tokio::task::spawn_blocking(move || platform_images::prepare(&file))
            .await
            .map_err(|_| ApiError::Image(ImageError::Encode))??
    };
    let id = ImageId::random();
    store.put(tenant.as_uuid(), id, &prepared).await?;
    Ok(Stored {
        id,
        format: prepared.format.as_str(),
        width: i32::try_from(prepared.width).unwrap_or(i32::MAX),
        height: i32::try_from(prepared.height).unwrap_or(i32::MAX),
        widths: prepared
            .widths()
            .into_iter()
            .map(|w| i32::try_from(w).unwrap_or(i32::MAX))
            .collect(),
        bytes: i64::try_from(prepared.stored_bytes()).unwrap_or(i64::MAX),
    })
}

/// Removes the objects of a picture whose row could not be written.
pub async fn forget_unsaved(state: &AppState, tenant: TenantId, id: ImageId) {
    if let Some(store) = state.images.as_ref()
        && let Err(err) = store.delete(tenant.as_uuid(), id).await
    {
        tracing::warn!(error = %err, image = %id, "removing the objects of an unsaved picture failed");
    }
}

/// The product a picture belongs to.
pub async fn product_of(
    state: &AppState,
    tenant: TenantId,
    id: ImageId,
) -> Result<ProductId, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = db::images::product_of(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(product)
}

/// One picture.
pub async fn get(state: &AppState, tenant: TenantId, id: ImageId) -> Result<Image, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let image = db::images::get(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(image)
}

/// Changes a picture's alt text; returns its product.
pub async fn set_alt(
    state: &AppState,
    tenant: TenantId,
    id: ImageId,
    alt: &str,
) -> Result<ProductId, ApiError> {
    let alt = parse_alt(alt)?;
    let mut tx = state.db.begin(tenant).await?;
    let product = db::images::product_of(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    db::images::set_alt(&mut tx, id, &alt).await?;
    tx.commit().await?;
    Ok(product)
}

/// Moves a picture one place earlier (`earlier`) or later; the first picture is the one
/// lists show. Returns its product.
pub async fn shift(
    state: &AppState,
    tenant: TenantId,
    id: ImageId,
    earlier: bool,
) -> Result<ProductId, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = db::images::product_of(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    db::images::lock_product(&mut tx, product).await?;
    let mut order = db::images::order_of(&mut tx, product).await?;
    if let Some(at) = order.iter().position(|i| *i == id) {
        let other = if earlier {
            at.checked_sub(1)
        } else {
            Some(at + 1).filter(|o| *o < order.len())
        };
        if let Some(other) = other {
            order.swap(at, other);
            db::images::reorder(&mut tx, &order).await?;
        }
    }
    tx.commit().await?;
    Ok(product)
}

/// Removes a picture; returns its product.
pub async fn delete(
    state: &AppState,
    tenant: TenantId,
    id: ImageId,
) -> Result<ProductId, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let product = db::images::delete(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    sweep(state, tenant).await;
    Ok(product)
}

/// One width of a picture (a product's or the shop's own) for the console (which shows
/// drafts too); `None` when the shop
/// has no such picture or width.
pub async fn read(
    state: &AppState,
    tenant: TenantId,
    id: ImageId,
    width: u32,
    format: platform_images::Format,
) -> Result<Option<Vec<u8>>, ApiError> {
    let store = store(state)?;
    let mut tx = state.db.begin(tenant).await?;
    let stored = db::images::stored(&mut tx, id).await?;
    tx.commit().await?;
    let Some((stored_format, widths)) = stored else {
        return Ok(None);
    };
    let known = platform_images::Format::parse(&stored_format) == Some(format)
        && widths.iter().any(|w| i64::from(*w) == i64::from(width));
    if !known {
        return Ok(None);
    }
    Ok(store.get(tenant.as_uuid(), id, width, format).await?)
}

/// Removes the objects of the shop's deleted pictures, then forgets them. Failures are
/// logged and retried by the next sweep; nothing a merchant waits for depends on it.
pub async fn sweep(state: &AppState, tenant: TenantId) {
    let Some(store) = state.images.as_ref() else {
        return;
    };
    let outcome: Result<usize, ApiError> = async {
        let mut tx = state.db.begin(tenant).await?;
        let garbage = db::images::garbage(&mut tx).await?;
        tx.commit().await?;
        let mut removed = Vec::with_capacity(garbage.len());
        for id in garbage {
            match store.delete(tenant.as_uuid(), id).await {
                Ok(()) => removed.push(id),
                Err(err) => {
                    tracing::warn!(error = %err, image = %id, "removing a deleted picture's objects failed; the next sweep retries");
                }
            }
        }
        let mut tx = state.db.begin(tenant).await?;
        db::images::forget_garbage(&mut tx, &removed).await?;
        tx.commit().await?;
        Ok(removed.len())
    }
    .await;
    if let Err(err) = outcome {
        tracing::warn!(error = %err, "sweeping deleted pictures failed; the next sweep retries");
    }
}

/// Fetches pictures a merchant names by address (the catalog CSV's `image_urls`).
///
/// The platform's servers fetch on the merchant's behalf, so an address must not reach
/// what only they can reach: every address its host name resolves to must be public
/// (not loopback, private, link-local, shared, reserved or multicast), and the connection
/// goes to exactly the addresses checked, so a second DNS answer cannot point elsewhere.
/// No redirects are followed, nothing over 10 MB is read, and each fetch ends after 15 s.
#[derive(Clone)]
pub struct Fetcher {
    tls: std::sync::Arc<rustls::ClientConfig>,
    allow_private: bool,
}

/// Why a picture could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRefusal {
    /// Stable code.
    pub code: &'static str,
    /// What happened, for the merchant.
    pub message: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> FetchRefusal {
    FetchRefusal {
        code,
        message: message.into(),
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || first == 0x0064)
        }
    }
}

impl Fetcher {
    /// A fetcher trusting the system's roots; `allow_private` lets it reach this machine
    /// and private networks (development and tests only).
    pub fn new(allow_private: bool) -> Result<Self, platform_web::StartError> {
        Ok(Fetcher {
            tls: std::sync::Arc::new(platform_web::tls::public_client_config()?),
            allow_private,
        })
    }

    /// The picture at `raw`.
    pub async fn get(&self, raw: &str) -> Result<Bytes, FetchRefusal> {
        let url = reqwest::Url::parse(raw.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                refused(
                    "image.url_invalid",
                    format!("“{raw}” is not an http(s) address."),
                )
            })?;
        let host = url
            .host_str()
            .ok_or_else(|| refused("image.url_invalid", format!("“{raw}” names no host.")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| refused("image.fetch_failed", format!("{host} could not be found.")))?
            .collect();
        if addrs.is_empty() {
            return Err(refused(
                "image.fetch_failed",
                format!("{host} could not be found."),
            ));
        }
        if !self.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
            return Err(refused(
                "image.url_not_public",
                format!("{host} is not on the public internet; give the picture's public address."),
            ));
        }
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured((*self.tls).clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .resolve_to_addrs(&host, &addrs)
            .build()
            .map_err(|e| refused("image.fetch_failed", e.to_string()))?;
        let mut response = client
            .get(url)
            .send()
            .await
            .map_err(|_| refused("image.fetch_failed", format!("{host} did not answer.")))?;
        if !response.status().is_success() {
            return Err(refused(
                "image.fetch_failed",
                format!(
                    "{host} answered {} (redirects are not followed).",
                    response.status()
                ),
            ));
        }
        let max = platform_images::MAX_UPLOAD_BYTES;
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(refused(
                "image.too_large",
                "The picture is larger than 10 MB.",
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| refused("image.fetch_failed", format!("{host} stopped answering.")))?
        {
            if body.len() + chunk.len() > max {
                return Err(refused(
                    "image.too_large",
                    "The picture is larger than 10 MB.",
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

/// What an import did with the pictures its rows name.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PicturesImported {
    /// Fetched and stored.
    pub fetched: usize,
    /// Already the product's (same address as before, or one of its own pictures).
    pub kept: usize,
    /// Not stored, with why.
    pub failed: Vec<PictureFailure>,
}

/// A picture an import could not store.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PictureFailure {
    /// The product's handle.
    pub handle: String,
    /// The address.
    pub url: String,
    /// Stable code.
    pub code: String,
    /// Why.
    pub message: String,
}

/// Stores the pictures an imported product lists that it does not have yet: an address
/// it was fetched from before, or the address of one of its own pictures, is kept; the
/// rest are fetched, checked and stored like uploads. Pictures the file does not list
/// stay. A picture that fails is reported and the rest go on.
pub async fn import_urls(
    state: &AppState,
    tenant: TenantId,
    products: &[(ProductId, String, Vec<String>)],
) -> Result<PicturesImported, ApiError> {
    let mut out = PicturesImported::default();
    if products.iter().all(|(_, _, urls)| urls.is_empty()) {
        return Ok(out);
    }
    store(state)?;
    for (product, handle, urls) in products {
        let known = {
            let mut tx = state.db.begin(tenant).await?;
            let known = db::images::sources_of(&mut tx, *product).await?;
            tx.commit().await?;
            known
        };
        for url in urls {
            let own = known.iter().any(|(id, source)| {
                source.as_deref() == Some(url.as_str()) || url.contains(&format!("/images/{id}/"))
            });
            if own {
                out.kept += 1;
                continue;
            }
            let stored = match state.fetcher.get(url).await {
                Err(r) => Err((r.code.to_owned(), r.message)),
                Ok(bytes) => upload_from(state, tenant, *product, bytes, "", Some(url))
                    .await
                    .map(drop)
                    .map_err(|e| {
                        let (_, code, message) = e.describe();
                        (code.to_owned(), message.into_owned())
                    }),
            };
            match stored {
                Ok(()) => out.fetched += 1,
                Err((code, message)) => out.failed.push(PictureFailure {
                    handle: handle.clone(),
                    url: url.clone(),
                    code,
                    message,
                }),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "2001:db8::1",
        ] {
            assert!(
                !is_public(private.parse().unwrap()),
                "{private} was taken for public"
            );
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public} was refused");
        }
    }

    #[test]
    fn alt_text_is_one_line_and_bounded() {
        assert_eq!(
            parse_alt("  A red\r\nboot   on grass ").unwrap(),
            "A red boot on grass"
        );
        assert_eq!(parse_alt("").unwrap(), "");
        assert_eq!(
            parse_alt(&"x".repeat(301)).map_err(|e| e.code),
            Err("image.alt_too_long")
        );
    }
}
