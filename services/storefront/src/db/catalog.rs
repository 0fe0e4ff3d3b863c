//! Catalog reads for visitors. The `storefront` role's restrictive policy shows active
//! products only, so drafts and archived products are invisible here by construction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use platform_domain::{CheckoutFields, Currency, ImageId, Money, ProductId, VariantId};
use platform_tenancy::TenantTx;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Products per page.
pub const PAGE: i64 = 24;

/// A product picture as pages and the API show it: the addresses of its stored widths,
/// for `src` and `srcset`, its alt text and its shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Picture {
    /// A middle width (`/images/<id>/640.jpg`).
    pub src: String,
    /// Every width (`/images/<id>/320.jpg 320w, /images/<id>/640.jpg 640w`).
    pub srcset: String,
    /// The merchant's description of it.
    pub alt: String,
    /// Upright width in pixels.
    pub width: i32,
    /// Upright height in pixels.
    pub height: i32,
}

/// A `product_images` row.
#[derive(sqlx::FromRow, Deserialize)]
pub struct PictureRow {
    id: ImageId,
    format: String,
    widths: Vec<i32>,
    width: i32,
    height: i32,
    alt: String,
}

impl From<PictureRow> for Picture {
    fn from(r: PictureRow) -> Self {
        let ext = platform_images::Format::parse(&r.format)
            .unwrap_or(platform_images::Format::Jpeg)
            .extension();
        let address = |w: i32| format!("/images/{}/{w}.{ext}", r.id);
        // The widest width up to 640 (else the narrowest): sharp on most screens before
        // the browser picks from the srcset.
        let middle = r
            .widths
            .iter()
            .copied()
            .filter(|w| *w <= 640)
            .max()
            .or_else(|| r.widths.iter().copied().min())
            .unwrap_or(r.width);
        Picture {
            src: address(middle),
            srcset: r
                .widths
                .iter()
                .map(|w| format!("{} {w}w", address(*w)))
                .collect::<Vec<_>>()
                .join(", "),
            alt: r.alt,
            width: r.width,
            height: r.height,
        }
    }
}

impl Picture {
    /// The height at `width` pixels wide, keeping its shape.
    pub fn height_at(&self, width: i32) -> i64 {
        i64::from(self.height) * i64::from(width) / i64::from(self.width.max(1))
    }
}

/// A product card (lists) or page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// URL handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Its first picture.
    pub image: Option<Picture>,
    /// Lowest price of its variants, minor units.
    pub price_from: Option<i64>,
    /// Currency of that price (the shop's).
    pub currency: Option<Currency>,
    /// Any variant in stock.
    pub available: bool,
    /// For keyset pagination.
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
}

/// A variant on a product page.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Variant {
    /// Id.
    pub id: VariantId,
    /// SKU.
    pub sku: String,
    /// Title.
    pub title: String,
    /// Price, minor units.
    pub price_minor: i64,
    /// Currency (the shop's).
    pub currency: Currency,
    /// In stock.
    pub available: bool,
    /// Options (`{"size": "M"}`).
    #[schema(value_type = Object)]
    pub options: Value,
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Product {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let image = match row.try_get::<Option<ImageId>, _>("image_id")? {
            None => None,
            Some(id) => Some(Picture::from(PictureRow {
                id,
                format: row.try_get("image_format")?,
                widths: row.try_get("image_widths")?,
                width: row.try_get("image_width")?,
                height: row.try_get("image_height")?,
                alt: row.try_get("image_alt")?,
            })),
        };
        Ok(Product {
            id: row.try_get("id")?,
            handle: row.try_get("handle")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            image,
            price_from: row.try_get("price_from")?,
            currency: row.try_get("currency")?,
            available: row.try_get("available")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

impl Product {
    /// The lowest price of its variants.
    pub fn price_from(&self) -> Option<Money> {
        Some(Money::new(self.price_from?, self.currency?))
    }
}

impl Variant {
    /// Its price.
    pub fn price(&self) -> Money {
        Money::new(self.price_minor, self.currency)
    }
}

/// A query over the `product_cards` view (lowest price, currency, availability per
/// product), selecting the columns of [`Product`].
macro_rules! cards {
    ($rest:expr) => {
        concat!(
            "select id, handle, title, description, created_at, price_from, currency, available, \
                    image_id, image_format, image_widths, image_width, image_height, image_alt \
             from product_cards ",
            $rest
        )
    };
}
pub(crate) use cards;

/// A position in the product list: after (created_at, id).
pub fn encode_cursor(p: &Product) -> String {
    B64.encode(format!("{}|{}", p.created_at.timestamp_micros(), p.id))
}

/// Parses a cursor; `None` for anything malformed (treated as the first page).
pub fn decode_cursor(c: &str) -> Option<(DateTime<Utc>, ProductId)> {
    let text = String::from_utf8(B64.decode(c).ok()?).ok()?;
    let (micros, id) = text.split_once('|')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

/// One page of active products, newest first, and the cursor of the next page.
pub async fn list(
    tx: &mut TenantTx,
    after: Option<(DateTime<Utc>, ProductId)>,
) -> Result<(Vec<Product>, Option<String>), sqlx::Error> {
    let (at, id) = after.unzip();

    let mut rows: Vec<Product> = sqlx::query_as(cards!(
        "where status = 'active' and ($1::timestamptz is null or (created_at, id) < ($1, $2)) \
         order by created_at desc, id desc limit $3"
    ))
    .bind(at)
    .bind(id)
    .bind(PAGE + 1)
    .fetch_all(&mut *tx)
    .await?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(encode_cursor)
    } else {
        None
    };
    Ok((rows, next))
}

/// Featured products (home page).
pub async fn featured(tx: &mut TenantTx) -> Result<Vec<Product>, sqlx::Error> {
    sqlx::query_as(cards!(
        "where featured and status = 'active' order by created_at desc, id desc limit 8"
    ))
    .fetch_all(&mut *tx)
    .await
}

/// A product page: the product, its option names, variants and pictures.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The product.
    pub product: Product,
    /// Its options' names, in the order shoppers choose them.
    pub option_names: Vec<String>,
    /// Its variants, by position.
    pub variants: Vec<Variant>,
    /// Its pictures, in order.
    pub pictures: Vec<Picture>,
    /// Marked 13+ by the merchant (O19).
    pub thirteen_plus: bool,
}

/// One product by handle, with its options, variants and pictures, in one statement: the
/// card's columns, then the product's own, then its variants and pictures gathered as
/// JSON arrays (a product page the cache had not kept made seven round trips before).
pub async fn by_handle(tx: &mut TenantTx, handle: &str) -> Result<Option<Detail>, sqlx::Error> {
    use sqlx::Row;
    use sqlx::types::Json;
    let row = sqlx::query(
        "select c.id, c.handle, c.title, c.description, c.created_at, c.price_from, c.currency, \
                c.available, c.image_id, c.image_format, c.image_widths, c.image_width, \
                c.image_height, c.image_alt, p.option_names, p.thirteen_plus, \
                (select coalesce(json_agg(json_build_object( \
                            'id', v.id, 'sku', v.sku, 'title', v.title, \
                            'price_minor', v.price_minor, 'currency', v.currency, \
                            'available', v.stock > 0, 'options', v.options) \
                          order by v.position, v.sku), '[]') \
                   from variants v \
                  where v.tenant_id = c.tenant_id and v.product_id = c.id) as variants, \
                (select coalesce(json_agg(json_build_object( \
                            'id', i.id, 'format', i.format, 'widths', i.widths, \
                            'width', i.width, 'height', i.height, 'alt', i.alt) \
                          order by i.position, i.created_at), '[]') \
                   from product_images i \
                  where i.tenant_id = c.tenant_id and i.product_id = c.id) as pictures \
           from product_cards c \
           join products p on p.tenant_id = c.tenant_id and p.id = c.id \
          where c.handle = $1 and c.status = 'active'",
    )
    .bind(handle)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let product = <Product as sqlx::FromRow<_>>::from_row(&row)?;
    let Json(variants): Json<Vec<Variant>> = row.try_get("variants")?;
    let Json(pictures): Json<Vec<PictureRow>> = row.try_get("pictures")?;
    Ok(Some(Detail {
        product,
        option_names: row.try_get("option_names")?,
        variants,
        pictures: pictures.into_iter().map(Picture::from).collect(),
        thirteen_plus: row.try_get("thirteen_plus")?,
    }))
}

/// A picture of the shop, of an active product or its own (logo, banner), as (format,
/// widths); `None` otherwise.
pub async fn picture(
    tx: &mut TenantTx,
    id: ImageId,
) -> Result<Option<(String, Vec<i32>)>, sqlx::Error> {
    sqlx::query_as(
        "select format, widths from product_images where id = $1 \
         union all select format, widths from shop_images where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// The shop's accent colour (none before its settings).
pub async fn accent(tx: &mut TenantTx) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select accent_color from store_settings")
        .fetch_optional(&mut *tx)
        .await
}

/// The home page's banner: a headline, a line of text, a picture.
#[derive(Debug)]
pub struct Banner {
    /// Headline.
    pub title: String,
    /// Text (may be empty).
    pub text: String,
    /// Picture.
    pub picture: Option<Picture>,
}

/// The shop's banner; `None` when it has no headline.
pub async fn banner(tx: &mut TenantTx) -> Result<Option<Banner>, sqlx::Error> {
    let words: Option<(String, String)> =
        sqlx::query_as("select banner_title, banner_text from store_settings")
            .fetch_optional(&mut *tx)
            .await?;
    let Some((title, text)) = words.filter(|(title, _)| !title.is_empty()) else {
        return Ok(None);
    };
    let picture = shop_picture(tx, "banner").await?;
    Ok(Some(Banner {
        title,
        text,
        picture,
    }))
}

async fn shop_picture(tx: &mut TenantTx, purpose: &str) -> Result<Option<Picture>, sqlx::Error> {
    let row: Option<PictureRow> = sqlx::query_as(
        "select id, format, widths, width, height, alt from shop_images where purpose = $1",
    )
    .bind(purpose)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(Picture::from))
}

/// What every page of the shop shows around its content: the logo, the menu's
/// collections and the contact address.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The logo (its alt text names the shop).
    pub logo: Option<Picture>,
    /// The collections the merchant put in the menu, as (handle, title), by title.
    pub menu: Vec<(String, String)>,
    /// The shop's contact address.
    pub contact: Option<String>,
}

/// The shop's frame, in three small reads (only when a page is rendered, not per hit).
pub async fn frame(tx: &mut TenantTx) -> Result<Frame, sqlx::Error> {
    let logo = shop_picture(tx, "logo").await?;
    let menu = sqlx::query_as(
        "select handle, title from collections where in_menu order by title, handle limit 6",
    )
    .fetch_all(&mut *tx)
    .await?;
    let contact = contact(tx).await?;
    Ok(Frame {
        logo,
        menu,
        contact,
    })
}

/// The shop's collections (handle, title), by title; at most 200.
pub async fn collections(tx: &mut TenantTx) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("select handle, title from collections order by title, handle limit 200")
        .fetch_all(&mut *tx)
        .await
}

/// A collection and its active products.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collection {
    /// Handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Products.
    pub products: Vec<Product>,
}

/// A collection by handle.
pub async fn collection(
    tx: &mut TenantTx,
    handle: &str,
) -> Result<Option<Collection>, sqlx::Error> {
    let row: Option<(platform_domain::CollectionId, String, String, String)> =
        sqlx::query_as("select id, handle, title, description from collections where handle = $1")
            .bind(handle)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, handle, title, description)) = row else {
        return Ok(None);
    };
    let products = sqlx::query_as(cards!(
        "c join collection_products cp on cp.tenant_id = c.tenant_id and cp.product_id = c.id \
         where cp.collection_id = $1 and c.status = 'active' order by cp.position, c.title"
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(Some(Collection {
        handle,
        title,
        description,
        products,
    }))
}

/// The policy in force and, if published, the next one with its date (O20).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Policy {
    /// Version number.
    pub version: i32,
    /// Text.
    pub body: String,
    /// Effective from.
    pub effective_at: DateTime<Utc>,
}

/// (current, upcoming) privacy policies.
pub async fn policies(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
) -> Result<(Option<Policy>, Option<Policy>), sqlx::Error> {
    let current = sqlx::query_as(
        "select version, body, effective_at from privacy_policies \
         where status = 'published' and effective_at <= $1 order by effective_at desc, version desc limit 1",
    )
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let upcoming = sqlx::query_as(
        "select version, body, effective_at from privacy_policies \
         where status = 'published' and effective_at > $1 order by effective_at, version limit 1",
    )
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    Ok((current, upcoming))
}

/// Whether the shop sells to minors (its checkout asks the age band, O19).
pub async fn sells_to_minors(tx: &mut TenantTx) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, bool>("select sells_to_minors from store_settings")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(false),
    )
}

/// The shop's contact email (public business contact).
pub async fn contact(tx: &mut TenantTx) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select nullif(contact_email, '') from store_settings")
        .fetch_optional(&mut *tx)
        .await
        .map(Option::flatten)
}

/// Which checkout fields the shop asks for (O2): each required, optional or hidden.
pub async fn checkout_fields(tx: &mut TenantTx) -> Result<CheckoutFields, sqlx::Error> {
    let stored: Option<sqlx::types::Json<CheckoutFields>> =
        sqlx::query_scalar("select checkout_fields from store_settings")
            .fetch_optional(&mut *tx)
            .await?;
    Ok(stored.map(|j| j.0).unwrap_or_default())
}

/// The shop's currency (none before its settings exist).
pub async fn currency(tx: &mut TenantTx) -> Result<Option<Currency>, sqlx::Error> {
    sqlx::query_scalar("select currency from store_settings")
        .fetch_optional(&mut *tx)
        .await
}
