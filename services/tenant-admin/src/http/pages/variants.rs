//! A product's variants and options in the console: each variant a form of its own,
//! deletion after a confirmation page (never the last), the options form.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use platform_auth::extract::{CheckedForm, PageRole};
use platform_domain::{Money, ProductId, VariantId};
use platform_web::PathParams;
use serde::Deserialize;
use serde_json::Value;

use super::layout::{layout, page};
use super::products::{back_to_product, stock_of};
use crate::app::AppState;
use crate::app::products::{self, VariantInput, VariantPatch, parse_price};
use crate::app::staff::Staff;
use crate::db::products::Product;
use crate::error::ApiError;
use crate::http::auth::{CatalogEditor, csrf_forms};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products/{id}/variants", post(add_variant))
        .route("/products/{id}/options", post(options_submit))
        .route("/variants/{id}", post(variant_submit))
        .route(
            "/variants/{id}/delete",
            get(variant_delete_page).post(variant_delete_submit),
        )
}

#[derive(Deserialize)]
struct VariantForm {
    csrf: String,
    #[serde(default)]
    product_id: Option<ProductId>,
    sku: String,
    #[serde(default)]
    title: String,
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    opt1: Option<String>,
    #[serde(default)]
    opt2: Option<String>,
    #[serde(default)]
    opt3: Option<String>,
}

impl VariantForm {
    /// The values typed per option, by the product's option names.
    fn options(&self, names: &[String]) -> Value {
        let typed = [&self.opt1, &self.opt2, &self.opt3];
        let mut map = serde_json::Map::new();
        for (name, value) in names.iter().zip(typed) {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                map.insert(name.clone(), Value::from(v));
            }
        }
        Value::Object(map)
    }
}

#[derive(Deserialize)]
struct OptionsForm {
    csrf: String,
    #[serde(default)]
    name1: String,
    #[serde(default)]
    name2: String,
    #[serde(default)]
    name3: String,
    #[serde(default)]
    first1: String,
    #[serde(default)]
    first2: String,
    #[serde(default)]
    first3: String,
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

csrf_forms!(VariantForm, OptionsForm, CsrfOnly);

/// The product's options and variants: each variant a form of its own (SKU, title,
/// a value per option, price, stock), deletable but for the last; then the options and
/// a new variant.
pub(super) fn variants(staff: &Staff, p: &Product) -> Markup {
    let names = &p.option_names;
    html! {
        h2 #variants { "Variants" }
        @if names.is_empty() {
            p.hint { "No options: shoppers pick a variant by its title. Name options below (such as Size and Colour) and shoppers choose one value of each." }
        } @else {
            p.hint { "Options: " (names.join(", ")) ". Each variant has a value for every option." }
        }
        ul.variants {
            @for v in &p.variants {
                li {
                    form.card method="post" action={ "/variants/" (v.id) } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        input type="hidden" name="product_id" value=(p.id);
                        div.fields {
                            label { "SKU " input name="sku" required maxlength="64" value=(v.sku); }
                            label { "Title " input name="title" maxlength="200" value=(v.title); }
                            @for (i, name) in names.iter().enumerate() {
                                label { (name) " " input name={ "opt" (i + 1) } required maxlength="100"
                                    value=(v.options.get(name).and_then(|x| x.as_str()).unwrap_or("")); }
                            }
                            label { "Price (" (v.currency) ") " input name="price" inputmode="decimal" size="8" required value=(Money::new(v.price_minor, v.currency).amount_text()); }
                            label { "Stock " input name="stock" type="number" min="0" value=(v.stock); }
                        }
                        div.actions {
                            button type="submit" { "Save variant" }
                            @if p.variants.len() > 1 {
                                a href={ "/variants/" (v.id) "/delete" } { "Delete " (v.title) "…" }
                            }
                        }
                    }
                }
            }
        }
        form.card method="post" action={ "/products/" (p.id) "/variants" } {
            input type="hidden" name="csrf" value=(staff.csrf);
            h3 { "Add a variant" }
            label for="v-sku" { "SKU" } input #v-sku name="sku" required maxlength="64";
            @for (i, name) in names.iter().enumerate() {
                label for={ "v-opt" (i + 1) } { (name) } input id={ "v-opt" (i + 1) } name={ "opt" (i + 1) } required maxlength="100";
            }
            label for="v-title" { "Title" @if !names.is_empty() { " (leave empty to use the option values)" } }
            input #v-title name="title" maxlength="200";
            label for="v-price" { "Price" } input #v-price name="price" required inputmode="decimal";
            label for="v-stock" { "Stock" } input #v-stock name="stock" type="number" min="0" value="0";
            button type="submit" { "Add variant" }
        }
        form.card method="post" action={ "/products/" (p.id) "/options" } {
            input type="hidden" name="csrf" value=(staff.csrf);
            h3 #options { "Options" }
            p.hint { "Up to three, in the order shoppers choose them. Renaming one renames it in every variant; emptying a name removes that option from every variant." }
            @for i in 0..3usize {
                @let current = names.get(i);
                label for={ "name" (i + 1) } { "Option " (i + 1) }
                input id={ "name" (i + 1) } name={ "name" (i + 1) } maxlength="40" value=[current] placeholder=(["Size", "Colour", "Material"][i]);
                @if current.is_none() {
                    label for={ "first" (i + 1) } { "If you add it: the value your current variants have (for example " (["M", "Blue", "Cotton"][i]) ")" }
                    input id={ "first" (i + 1) } name={ "first" (i + 1) } maxlength="100";
                }
            }
            button type="submit" { "Save options" }
        }
    }
}

async fn add_variant(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, VariantForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let outcome = async {
        let currency = products::currency(&state, staff.tenant).await?;
        let names = products::get(&state, staff.tenant, id).await?.option_names;
        let input = VariantInput {
            options: Some(f.options(&names)),
            sku: f.sku,
            title: Some(f.title).filter(|t| !t.trim().is_empty()),
            price_minor: parse_price(&f.price, currency)?,
            currency: None,
            stock: Some(stock_of(&f.stock)?),
        };
        products::add_variant(&state, staff.tenant, id, input)
            .await
            .map(drop)
    }
    .await;
    back_to_product(&state, &staff, id, outcome).await
}

async fn variant_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<VariantId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, VariantForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let product = f.product_id.ok_or(ApiError::NotFound)?;
    let outcome = async {
        let currency = products::currency(&state, staff.tenant).await?;
        let names = products::get(&state, staff.tenant, product)
            .await?
            .option_names;
        let patch = VariantPatch {
            options: Some(f.options(&names)),
            sku: Some(f.sku),
            title: Some(f.title).filter(|t| !t.trim().is_empty()),
            price_minor: Some(parse_price(&f.price, currency)?),
            stock: Some(stock_of(&f.stock)?),
        };
        products::update_variant(&state, staff.tenant, id, patch)
            .await
            .map(drop)
    }
    .await;
    back_to_product(&state, &staff, product, outcome).await
}

async fn options_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, OptionsForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let outcome = crate::app::options::set_options(
        &state,
        staff.tenant,
        id,
        &[f.name1, f.name2, f.name3],
        &[f.first1, f.first2, f.first3],
    )
    .await
    .map(drop);
    back_to_product(&state, &staff, id, outcome).await
}

/// Deleting a variant asks first (the last one cannot go).
async fn variant_delete_page(
    State(state): State<AppState>,
    PageRole(staff, _): PageRole<CatalogEditor, Staff>,
    PathParams(id): PathParams<VariantId>,
) -> Result<Response, ApiError> {
    let product = products::product_of_variant(&state, staff.tenant, id).await?;
    let p = products::get(&state, staff.tenant, product).await?;
    let v = p
        .variants
        .iter()
        .find(|v| v.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(page(
        StatusCode::OK,
        layout(
            &format!("Delete {}", v.title),
            Some(&staff),
            html! {
                h1 { "Delete the variant “" (v.title) "” of “" (p.title) "”?" }
                @if p.variants.len() <= 1 {
                    p { "It is the product's only variant: change it instead, or delete the product." }
                } @else {
                    p { "Shoppers can no longer choose it; carts that hold it show it as no longer available. Orders already placed keep their lines. This cannot be undone." }
                    form.card method="post" action={ "/variants/" (v.id) "/delete" } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        button.danger type="submit" { "Delete it" }
                    }
                }
                p { a href={ "/products/" (p.id) "#variants" } { "Keep it and go back" } }
            },
        ),
    ))
}

async fn variant_delete_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<VariantId>,
    CheckedForm(staff, _, _): CheckedForm<Staff, CsrfOnly, CatalogEditor>,
) -> Result<Response, ApiError> {
    let product = products::product_of_variant(&state, staff.tenant, id).await?;
    let outcome = products::delete_variant(&state, staff.tenant, id).await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/products/{product}?done=variant_deleted#variants"
        ))
        .into_response()),
        Err(e) => back_to_product(&state, &staff, product, Err(e)).await,
    }
}
