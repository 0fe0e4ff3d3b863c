//! Pictures, a product's and the shop's own (logo, banner): the rows that say which widths
//! of a picture the object store holds.

use platform_domain::{ImageId, ProductId};
use platform_tenancy::TenantTx;
use serde::{Deserialize, Serialize};

/// A picture as the console and the API show it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Image {
    /// Id.
    pub id: ImageId,
    /// The merchant's description for people who cannot see it.
    pub alt: String,
    /// `jpeg` or `png`.
    pub format: String,
    /// Upright width in pixels.
    pub width: i32,
    /// Upright height in pixels.
    pub height: i32,
    /// The widths stored, narrowest first.
    pub widths: Vec<i32>,
}

/// What is stored of a new picture.
pub struct NewImage<'a> {
    /// Id.
    pub id: ImageId,
    /// Alt text.
    pub alt: &'a str,
    /// `jpeg` or `png`.
    pub format: &'a str,
    /// Upright width.
    pub width: i32,
    /// Upright height.
    pub height: i32,
    /// Widths stored.
    pub widths: &'a [i32],
    /// Bytes stored in all.
    pub bytes: i64,
    /// The address it was fetched from (imports).
    pub source_url: Option<&'a str>,
}

/// Locks a product for a change to its pictures and counts them; `None` when there is
/// no such product.
pub async fn lock_product(
    tx: &mut TenantTx,
    product: ProductId,
) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<i32> =
        sqlx::query_scalar("select 1 from products where tenant_id = $1 and id = $2 for update")
            .bind(tx.tenant())
            .bind(product)
            .fetch_optional(&mut *tx)
            .await?;
    if found.is_none() {
        return Ok(None);
    }
    let count = sqlx::query_scalar(
        "select count(*) from product_images where tenant_id = $1 and product_id = $2",
    )
    .bind(tx.tenant())
    .bind(product)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(count))
}

/// Adds a picture after the product's others.
pub async fn insert(
    tx: &mut TenantTx,
    product: ProductId,
    image: &NewImage<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into product_images (tenant_id, id, product_id, position, alt, format, width, \
             height, widths, bytes, source_url) \
         values ($1, $2, $3, (select coalesce(max(position) + 1, 0) from product_images \
                               where tenant_id = $1 and product_id = $3), \
                 $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tx.tenant())
    .bind(image.id)
    .bind(product)
    .bind(image.alt)
    .bind(image.format)
    .bind(image.width)
    .bind(image.height)
    .bind(image.widths)
    .bind(image.bytes)
    .bind(image.source_url)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A product's pictures with the address each was fetched from (if any).
pub async fn sources_of(
    tx: &mut TenantTx,
    product: ProductId,
) -> Result<Vec<(ImageId, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "select id, source_url from product_images where tenant_id = $1 and product_id = $2",
    )
    .bind(tx.tenant())
    .bind(product)
    .fetch_all(&mut *tx)
    .await
}

/// The product a picture belongs to; `None` when there is no such picture.
pub async fn product_of(tx: &mut TenantTx, id: ImageId) -> Result<Option<ProductId>, sqlx::Error> {
    sqlx::query_scalar("select product_id from product_images where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// A picture; `None` when there is no such picture.
pub async fn get(tx: &mut TenantTx, id: ImageId) -> Result<Option<Image>, sqlx::Error> {
    sqlx::query_as(
        "select id, alt, format, width, height, widths from product_images \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// Changes a picture's alt text; false when there is no such picture.
pub async fn set_alt(tx: &mut TenantTx, id: ImageId, alt: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update product_images set alt = $3 where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .bind(alt)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A product's pictures in order.
pub async fn order_of(tx: &mut TenantTx, product: ProductId) -> Result<Vec<ImageId>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from product_images where tenant_id = $1 and product_id = $2 \
         order by position, created_at",
    )
    .bind(tx.tenant())
    .bind(product)
    .fetch_all(&mut *tx)
    .await
}

/// Numbers a product's pictures 0, 1, 2… in the given order.
pub async fn reorder(tx: &mut TenantTx, order: &[ImageId]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update product_images i set position = o.n - 1 \
         from unnest($2::uuid[]) with ordinality as o(id, n) \
         where i.tenant_id = $1 and i.id = o.id",
    )
    .bind(tx.tenant())
    .bind(order)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes a picture's row (its objects become garbage); the product it belonged to, or
/// `None` when there was no such picture.
pub async fn delete(tx: &mut TenantTx, id: ImageId) -> Result<Option<ProductId>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from product_images where tenant_id = $1 and id = $2 returning product_id",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// Pictures whose rows are gone but whose objects may remain (oldest first, at most 200).
pub async fn garbage(tx: &mut TenantTx) -> Result<Vec<ImageId>, sqlx::Error> {
    sqlx::query_scalar(
        "select image_id from product_image_garbage where tenant_id = $1 \
         order by deleted_at limit 200",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await
}

/// Forgets garbage whose objects are removed.
pub async fn forget_garbage(tx: &mut TenantTx, ids: &[ImageId]) -> Result<(), sqlx::Error> {
    sqlx::query("delete from product_image_garbage where tenant_id = $1 and image_id = any($2)")
        .bind(tx.tenant())
        .bind(ids)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The encoding and widths of a picture of the shop, a product's or its own (logo,
/// banner); `None` when it has no such picture.
pub async fn stored(
    tx: &mut TenantTx,
    id: ImageId,
) -> Result<Option<(String, Vec<i32>)>, sqlx::Error> {
    sqlx::query_as(
        "select format, widths from product_images where tenant_id = $1 and id = $2 \
         union all \
         select format, widths from shop_images where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// The shop's own pictures (logo, banner) with what each is for.
pub async fn shop_pictures(tx: &mut TenantTx) -> Result<Vec<(String, Image)>, sqlx::Error> {
    let rows: Vec<ShopPictureRow> = sqlx::query_as(
        "select purpose, id, alt, format, width, height, widths from shop_images \
         where tenant_id = $1",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.purpose, r.image)).collect())
}

#[derive(sqlx::FromRow)]
struct ShopPictureRow {
    purpose: String,
    #[sqlx(flatten)]
    image: Image,
}

/// Puts a picture in place of the shop's logo or banner (the old one, if any, becomes
/// garbage).
pub async fn replace_shop_picture(
    tx: &mut TenantTx,
    purpose: &str,
    image: &NewImage<'_>,
) -> Result<(), sqlx::Error> {
    remove_shop_picture(tx, purpose).await?;
    sqlx::query(
        "insert into shop_images (tenant_id, id, purpose, alt, format, width, height, widths, bytes) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tx.tenant())
    .bind(image.id)
    .bind(purpose)
    .bind(image.alt)
    .bind(image.format)
    .bind(image.width)
    .bind(image.height)
    .bind(image.widths)
    .bind(image.bytes)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Changes the alt text of the shop's logo or banner; false when it has none.
pub async fn set_shop_alt(
    tx: &mut TenantTx,
    purpose: &str,
    alt: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update shop_images set alt = $3 where tenant_id = $1 and purpose = $2")
        .bind(tx.tenant())
        .bind(purpose)
        .bind(alt)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes the shop's logo or banner (its objects become garbage); false when it has none.
pub async fn remove_shop_picture(tx: &mut TenantTx, purpose: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from shop_images where tenant_id = $1 and purpose = $2")
        .bind(tx.tenant())
        .bind(purpose)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}
