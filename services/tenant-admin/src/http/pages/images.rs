//! A product's pictures in the console: upload (a plain file form, no script), alt text,
//! order, removal after a confirmation page, and the pictures themselves for the
//! console's own pages (drafts included, which the storefront never shows).

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use platform_auth::extract::{CheckedForm, CheckedUpload, PageRole, PageSession};
use platform_domain::{ImageId, ProductId};
use platform_images::{Format, MAX_UPLOAD_BYTES};
use platform_web::PathParams;
use serde::Deserialize;

use super::layout::{Problem, layout, page};
use super::products::{back_to_product, edit_view_typed};
use crate::app::staff::Staff;
use crate::app::{AppState, images, products};
use crate::error::ApiError;
use crate::http::auth::{CatalogEditor, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/products/{id}/images",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/images/{id}/{file}", get(picture))
        .route("/images/{id}/alt", post(alt_submit))
        .route("/images/{id}/move", post(move_submit))
        .route("/images/{id}/delete", get(delete_page).post(delete_submit))
}

#[derive(Deserialize)]
struct AltForm {
    csrf: String,
    #[serde(default)]
    alt: String,
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    to: String,
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

csrf_forms!(AltForm, MoveForm, CsrfOnly);

async fn upload(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedUpload(staff, form, _): CheckedUpload<Staff, CatalogEditor>,
) -> Result<Response, ApiError> {
    let alt = form.text("alt").to_owned();
    let outcome = match form.files("picture").next() {
        None => Err(images::missing()),
        Some(file) => images::upload(&state, staff.tenant, id, file.bytes.clone(), &alt)
            .await
            .map(drop),
    };
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("/products/{id}?done=uploaded#pictures")).into_response())
        }
        Err(e) => {
            let (status, problem) = Problem::of(e)?;
            let p = products::get(&state, staff.tenant, id).await?;
            Ok(page(
                status,
                edit_view_typed(&staff, &p, Some(&problem), None, &alt),
            ))
        }
    }
}

/// One width of a picture (`320.jpg`), for signed-in members of its shop. Pictures never
/// change under an id, so the browser may keep them; being the shop's own, only privately.
async fn picture(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    PathParams((id, file)): PathParams<(ImageId, String)>,
) -> Result<Response, ApiError> {
    let (width, ext) = file.split_once('.').ok_or(ApiError::NotFound)?;
    let width: u32 = width.parse().map_err(|_| ApiError::NotFound)?;
    let format = Format::from_extension(ext).ok_or(ApiError::NotFound)?;
    let bytes = images::read(&state, staff.tenant, id, width, format)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    Ok(res)
}

async fn alt_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ImageId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, AltForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    match images::set_alt(&state, staff.tenant, id, &f.alt).await {
        Ok(product) => {
            Ok(Redirect::to(&format!("/products/{product}?done=saved#pictures")).into_response())
        }
        Err(e) => {
            let product = images::product_of(&state, staff.tenant, id).await?;
            back_to_product(&state, &staff, product, Err(e)).await
        }
    }
}

async fn move_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ImageId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, MoveForm, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    let product = images::shift(&state, staff.tenant, id, f.to == "earlier").await?;
    Ok(Redirect::to(&format!(
        "/products/{product}?done=saved#pictures"
    )))
}

/// Removing asks first, on a page of its own that shows the picture.
async fn delete_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ImageId>,
) -> Result<Response, ApiError> {
    let product_id = images::product_of(&state, staff.tenant, id).await?;
    let p = products::get(&state, staff.tenant, product_id).await?;
    let img = p
        .images
        .iter()
        .find(|i| i.id == id)
        .ok_or(ApiError::NotFound)?;
    let w = img.widths.first().copied().unwrap_or(img.width);
    let ext = Format::parse(&img.format)
        .unwrap_or(Format::Jpeg)
        .extension();
    Ok(page(
        StatusCode::OK,
        layout(
            "Remove picture",
            Some(&staff),
            html! {
                h1 { "Remove this picture of “" (p.title) "”?" }
                img src={ "/images/" (img.id) "/" (w) "." (ext) } alt=(img.alt) width=(w);
                p { "It disappears from the shop and from the picture store. This cannot be undone." }
                form.card method="post" action={ "/images/" (img.id) "/delete" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Remove it" }
                }
                p { a href={ "/products/" (p.id) "#pictures" } { "Keep it and go back" } }
            },
        ),
    ))
}

async fn delete_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ImageId>,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    let product = images::delete(&state, staff.tenant, id).await?;
    Ok(Redirect::to(&format!(
        "/products/{product}?done=removed#pictures"
    )))
}
