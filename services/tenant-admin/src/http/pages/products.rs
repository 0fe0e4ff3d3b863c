//! Products and their variants in the console.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole, PageSession};
use platform_domain::{Currency, Money, ProductId, ProductStatus};
use platform_web::{PathParams, QueryParams};
use serde::Deserialize;

use super::layout::{Done, Problem, field, form_problem, layout, notice, page};
use super::variants::Refusal;
use crate::app::products::{self, ProductInput, ProductPatch, VariantInput, parse_price};
use crate::app::shops;
use crate::app::staff::Staff;
use crate::app::{AppState, domain::Invalid};
use crate::db::products::Product;
use crate::error::ApiError;
use crate::http::auth::{CatalogEditor, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(list_page))
        .route("/products/new", get(new_page).post(new_submit))
        .route("/products/{id}", get(edit_page).post(edit_submit))
        .route(
            "/products/{id}/delete",
            get(delete_page).post(delete_submit),
        )
}

async fn list_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let list = products::list(&state, staff.tenant, None).await?;
    let shop = shops::overview(&state, staff.tenant).await?;
    let done = match q.done.as_deref() {
        Some("deleted") => Some("The product was deleted."),
        Some("created") => Some("The product was added."),
        _ => None,
    };
    let body = html! {
        h1 { (shop.display_name) ": products" }
        (notice(done))
        @if let Some(url) = &shop.url { p { "Your shop: " a href=(url) { (url) } } }
        @if list.is_empty() {
            p { "No products yet. " a href="/products/new" { "Add your first product" } "." }
        } @else {
            table tabindex="0" {
                thead { tr { th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Variants" } th scope="col" { "Price" } th scope="col" { "Stock" } } }
                tbody {
                    @for p in &list {
                        tr {
                            td { a href={ "/products/" (p.id) } { (p.title) } br; small { (p.handle) } }
                            td { (p.status) }
                            td { (p.variants.len()) }
                            td { @if let Some(v) = p.variants.first() { (Money::new(v.price_minor, v.currency)) } }
                            td { (p.variants.iter().map(|v| i64::from(v.stock)).sum::<i64>()) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, layout("Products", Some(&staff), body)))
}

#[derive(Deserialize, Default)]
struct NewProductForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    featured: Option<String>,
    #[serde(default)]
    thirteen_plus: Option<String>,
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    title: String,
    handle: String,
    #[serde(default)]
    description: String,
    status: String,
    featured: Option<String>,
    thirteen_plus: Option<String>,
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

csrf_forms!(NewProductForm, EditForm, CsrfOnly);

fn new_product_form(
    staff: &Staff,
    currency: Currency,
    form: &NewProductForm,
    problem: Option<&Problem>,
) -> Markup {
    let [title, description, sku, price, stock] =
        ["title", "description", "sku", "price", "stock"].map(|name| field(problem, name, name));
    layout(
        "New product",
        Some(staff),
        html! {
            h1 { "New product" }
            (form_problem(problem, &["title", "description", "sku", "price", "stock"]))
            form.card method="post" action="/products/new" {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="title" { "Title" }
                input #title name="title" required maxlength="200" value=(form.title)
                    aria-invalid=[title.invalid] aria-describedby=[title.described_by];
                (title.note)
                label for="description" { "Description" }
                textarea #description name="description" rows="5" maxlength="20000"
                    aria-invalid=[description.invalid] aria-describedby=[description.described_by] { (form.description) }
                (description.note)
                label for="sku" { "SKU" }
                input #sku name="sku" required maxlength="64" value=(form.sku)
                    aria-invalid=[sku.invalid] aria-describedby=[sku.described_by];
                (sku.note)
                label for="price" { "Price in " (currency) " (for example " (Money::new(1250, currency).amount_text()) ")" }
                input #price name="price" required inputmode="decimal" value=(form.price)
                    aria-invalid=[price.invalid] aria-describedby=[price.described_by];
                (price.note)
                label for="stock" { "Stock" }
                input #stock name="stock" type="number" min="0" value=(if form.stock.is_empty() { "0" } else { &form.stock })
                    aria-invalid=[stock.invalid] aria-describedby=[stock.described_by];
                (stock.note)
                fieldset {
                    legend { "Status" }
                    label { input type="radio" name="status" value="active" checked[form.status != "draft"]; " Active (visible in the shop)" }
                    label { input type="radio" name="status" value="draft" checked[form.status == "draft"]; " Draft" }
                }
                label { input type="checkbox" name="featured" value="true" checked[form.featured.is_some()]; " Featured on the home page" }
                label { input type="checkbox" name="thirteen_plus" value="true" checked[form.thirteen_plus.is_some()]; " Only for visitors 13 and over (if your shop sells to children)" }
                p.hint { "You add pictures on the next page." }
                button type="submit" { "Save product" }
            }
        },
    )
}

async fn new_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
) -> Result<Response, ApiError> {
    let currency = products::currency(&state, staff.tenant).await?;
    let form = NewProductForm::default();
    Ok(page(
        StatusCode::OK,
        new_product_form(&staff, currency, &form, None),
    ))
}

pub(super) fn stock_of(text: &str) -> Result<i32, Invalid> {
    match text.trim() {
        "" => Ok(0),
        t => t
            .parse()
            .map_err(|_| Invalid::new("variant.stock_invalid", "Stock is a whole number.")),
    }
}

async fn new_submit(
    State(state): State<AppState>,
    CheckedForm(staff, form, _): CheckedForm<Staff, NewProductForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let currency = products::currency(&state, staff.tenant).await?;
    let outcome = async {
        let input = ProductInput {
            title: form.title.clone(),
            handle: None,
            description: Some(form.description.clone()),
            status: Some(
                if form.status == "draft" {
                    ProductStatus::Draft
                } else {
                    ProductStatus::Active
                }
                .as_str()
                .to_owned(),
            ),
            featured: Some(form.featured.is_some()),
            thirteen_plus: Some(form.thirteen_plus.is_some()),
            option_names: None,
            variants: Some(vec![VariantInput {
                sku: form.sku.clone(),
                title: None,
                price_minor: parse_price(&form.price, currency)?,
                currency: None,
                stock: Some(stock_of(&form.stock)?),
                options: None,
            }]),
        };
        products::create(&state, staff.tenant, input).await
    }
    .await;
    match outcome {
        Ok(p) => Ok(Redirect::to(&format!("/products/{}?done=created", p.id)).into_response()),
        Err(e) => {
            let (status, problem) = Problem::of(e)?;
            Ok(page(
                status,
                new_product_form(&staff, currency, &form, Some(&problem)),
            ))
        }
    }
}

fn edit_view(staff: &Staff, p: &Product, problem: Option<&Problem>, done: Option<&str>) -> Markup {
    edit_view_typed(staff, p, problem, done, "")
}

/// The product's pictures: each with its alt text, order and removal, then the upload.
fn pictures(staff: &Staff, p: &Product, alt_typed: &str, problem: Option<&Problem>) -> Markup {
    let last = p.images.len().saturating_sub(1);
    let (file, alt) = (
        field(problem, "picture", "picture"),
        field(problem, "alt", "alt"),
    );
    html! {
        h2 #pictures { "Pictures" }
        @if p.images.is_empty() {
            p { "No pictures yet. Shoppers see a plain box until you add one." }
        } @else {
            p.hint { "The first picture is the one lists and the cart show." }
            ol.pictures {
                @for (i, img) in p.images.iter().enumerate() {
                    li {
                        @let w = img.widths.first().copied().unwrap_or(img.width);
                        @let ext = platform_images::Format::parse(&img.format).unwrap_or(platform_images::Format::Jpeg).extension();
                        img src={ "/images/" (img.id) "/" (w) "." (ext) } alt=(img.alt)
                            width=(w) height=(i64::from(img.height) * i64::from(w) / i64::from(img.width.max(1)));
                        form.inline method="post" action={ "/images/" (img.id) "/alt" } {
                            input type="hidden" name="csrf" value=(staff.csrf);
                            label { "Alt text " input name="alt" maxlength="300" value=(img.alt) placeholder="What the picture shows"; }
                            button type="submit" { "Save" }
                        }
                        @if img.alt.is_empty() { p.hint { "Describe this picture for shoppers who cannot see it." } }
                        div.actions {
                            @if i > 0 {
                                form.inline method="post" action={ "/images/" (img.id) "/move" } {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="to" value="earlier";
                                    button type="submit" { "Move earlier" }
                                }
                            }
                            @if i < last {
                                form.inline method="post" action={ "/images/" (img.id) "/move" } {
                                    input type="hidden" name="csrf" value=(staff.csrf);
                                    input type="hidden" name="to" value="later";
                                    button type="submit" { "Move later" }
                                }
                            }
                            a href={ "/images/" (img.id) "/delete" } { "Remove…" }
                        }
                    }
                }
            }
        }
        @if (p.images.len() as i64) < platform_images::MAX_PER_PRODUCT {
            form.card method="post" action={ "/products/" (p.id) "/images" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(staff.csrf);
                h3 { "Add a picture" }
                label for="picture" { "Picture (JPEG, PNG or WebP, up to 10 MB)" }
                input #picture name="picture" type="file" accept="image/jpeg,image/png,image/webp" required
                    aria-invalid=[file.invalid] aria-describedby=[file.described_by];
                (file.note)
                label for="alt" { "Alt text: what the picture shows, for shoppers who cannot see it" }
                input #alt name="alt" maxlength="300" value=(alt_typed)
                    aria-invalid=[alt.invalid] aria-describedby=[alt.described_by];
                (alt.note)
                button type="submit" { "Upload picture" }
            }
        } @else {
            p { "This product has its 20 pictures. Remove one to add another." }
        }
    }
}

/// The product's page again after a refused variant or options form.
pub(super) fn edit_view_with(staff: &Staff, p: &Product, refusal: Option<&Refusal>) -> Markup {
    edit_page_markup(staff, p, None, None, "", refusal)
}

pub(super) fn edit_view_typed(
    staff: &Staff,
    p: &Product,
    problem: Option<&Problem>,
    done: Option<&str>,
    alt_typed: &str,
) -> Markup {
    edit_page_markup(staff, p, problem, done, alt_typed, None)
}

fn edit_page_markup(
    staff: &Staff,
    p: &Product,
    problem: Option<&Problem>,
    done: Option<&str>,
    alt_typed: &str,
    refusal: Option<&Refusal>,
) -> Markup {
    let [title, handle, description] =
        ["title", "handle", "description"].map(|name| field(problem, name, name));
    layout(
        &p.title,
        Some(staff),
        html! {
            h1 { "Edit " (p.title) }
            (notice(done))
            (form_problem(problem, &["title", "handle", "description", "picture", "alt"]))
            form.card method="post" action={ "/products/" (p.id) } {
                input type="hidden" name="csrf" value=(staff.csrf);
                label for="title" { "Title" }
                input #title name="title" required maxlength="200" value=(p.title)
                    aria-invalid=[title.invalid] aria-describedby=[title.described_by];
                (title.note)
                label for="handle" { "Handle (URL)" }
                input #handle name="handle" required maxlength="100" value=(p.handle)
                    aria-invalid=[handle.invalid] aria-describedby=[handle.described_by];
                (handle.note)
                label for="description" { "Description" }
                textarea #description name="description" rows="5"
                    aria-invalid=[description.invalid] aria-describedby=[description.described_by] { (p.description) }
                (description.note)
                fieldset {
                    legend { "Status" }
                    @for s in ProductStatus::ALL {
                        label { input type="radio" name="status" value=(s) checked[p.status == *s]; " " (s) }
                    }
                }
                label { input type="checkbox" name="featured" value="true" checked[p.featured]; " Featured on the home page" }
                label { input type="checkbox" name="thirteen_plus" value="true" checked[p.thirteen_plus]; " Only for visitors 13 and over (if your shop sells to children, younger visitors are refused this page and cannot order it)" }
                button type="submit" { "Save product" }
            }
            (pictures(staff, p, alt_typed, problem))
            (super::variants::variants(staff, p, refusal))
            p { a href={ "/products/" (p.id) "/delete" } { "Delete this product…" } }
        },
    )
}

async fn edit_page(
    State(state): State<AppState>,
    PageSession(staff): PageSession<Staff>,
    PathParams(id): PathParams<ProductId>,
    QueryParams(q): QueryParams<Done>,
) -> Result<Response, ApiError> {
    let p = products::get(&state, staff.tenant, id).await?;
    let done = match q.done.as_deref() {
        Some("created") => Some("The product was added. Now add its pictures."),
        Some("uploaded") => Some("The picture was added."),
        Some("removed") => Some("The picture was removed."),
        Some("variant_deleted") => Some("The variant was deleted."),
        Some(_) => Some("Saved."),
        None => None,
    };
    Ok(page(StatusCode::OK, edit_view(&staff, &p, None, done)))
}

/// Deleting asks first, on a page of its own (no script needed).
async fn delete_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<ProductId>,
) -> Result<Response, ApiError> {
    let p = products::get(&state, staff.tenant, id).await?;
    Ok(page(
        StatusCode::OK,
        layout(
            &format!("Delete {}", p.title),
            Some(&staff),
            html! {
                h1 { "Delete “" (p.title) "”?" }
                p { "It disappears from the shop and the catalog, with its " (p.variants.len()) " variant(s) and " (p.images.len()) " picture(s). Orders already placed keep their lines. This cannot be undone." }
                form.card method="post" action={ "/products/" (p.id) "/delete" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.danger type="submit" { "Delete it" }
                }
                p { a href={ "/products/" (p.id) } { "Keep it and go back" } }
            },
        ),
    ))
}

/// Back to the product after a change, or its page again with the problem shown.
pub(super) async fn back_to_product(
    state: &AppState,
    staff: &Staff,
    id: ProductId,
    outcome: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/products/{id}?done=saved")).into_response()),
        Err(e) => {
            let (status, problem) = Problem::of(e)?;
            let p = products::get(state, staff.tenant, id).await?;
            Ok(page(status, edit_view(staff, &p, Some(&problem), None)))
        }
    }
}

async fn edit_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, EditForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let patch = ProductPatch {
        title: Some(f.title.clone()),
        handle: Some(f.handle.clone()),
        description: Some(f.description.clone()),
        status: Some(f.status.clone()),
        featured: Some(f.featured.is_some()),
        thirteen_plus: Some(f.thirteen_plus.is_some()),
    };
    match products::update(&state, staff.tenant, id, patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/products/{id}?done=saved")).into_response()),
        Err(e) => {
            // Shown again as typed, the problem beside its field.
            let (status, problem) = Problem::of(e)?;
            let stored = products::get(&state, staff.tenant, id).await?;
            let typed = Product {
                title: f.title,
                handle: f.handle,
                description: f.description,
                status: ProductStatus::parse(&f.status).unwrap_or(stored.status),
                featured: f.featured.is_some(),
                thirteen_plus: f.thirteen_plus.is_some(),
                ..stored
            };
            Ok(page(
                status,
                edit_view(&staff, &typed, Some(&problem), None),
            ))
        }
    }
}

async fn delete_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly, CatalogEditor>,
) -> Result<Redirect, ApiError> {
    products::delete(&state, staff.tenant, id).await?;
    Ok(Redirect::to("/products?done=deleted"))
}
