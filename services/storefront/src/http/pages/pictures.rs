//! Product pictures, from the object store. Only pictures of the shop's active products
//! are served (the `storefront` role sees no others); a picture never changes under its
//! id, so browsers and shared caches may keep it for a year.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use platform_domain::ImageId;
use platform_images::Format;
use platform_web::{PathParams, WebError};

use crate::AppState;
use crate::db::catalog;
use crate::db::shops::Shop;
use crate::error::ShopError;

fn missing() -> ShopError {
    ShopError::from(WebError::not_found(
        "image.not_found",
        "There is no such picture.",
    ))
}

/// `/images/<id>/<width>.<jpg|png>`.
pub async fn picture(
    State(state): State<AppState>,
    shop: Shop,
    PathParams((id, file)): PathParams<(ImageId, String)>,
) -> Result<Response, ShopError> {
    let store = state.images.as_ref().ok_or_else(missing)?;
    let (width, ext) = file.split_once('.').ok_or_else(missing)?;
    let width: i32 = width.parse().map_err(|_| missing())?;
    let format = Format::from_extension(ext).ok_or_else(missing)?;
    let mut tx = state.db.begin(shop.id).await?;
    let found = catalog::picture(&mut tx, id).await?;
    tx.commit().await?;
    let known = found.is_some_and(|(stored, widths)| {
        Format::parse(&stored) == Some(format) && widths.contains(&width)
    });
    if !known {
        return Err(missing());
    }
    let bytes = store
        .get(shop.id.as_uuid(), id, width.unsigned_abs(), format)
        .await?
        .ok_or_else(missing)?;
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(res)
}
