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

use super::layout::{Problem, field, form_problem, layout, page};
use super::products::{back_to_product, edit_view_with, stock_of};
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

/// Which of the page's variant forms was refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// A variant's own form.
    Variant(VariantId),
    /// The form that adds a variant.
    New,
    /// The options form.
    Options,
}

/// A refused variant or options form: which, why, and what was typed (SKU, title,
/// price, stock, then three option values; or the three names and three first values).
pub(super) struct Refusal {
    form: Refused,
    problem: Problem,
    typed: [String; 7],
}

impl Refusal {
    fn for_form(&self, form: Refused) -> Option<&Refusal> {
        (self.form == form).then_some(self)
    }

    fn typed(&self, i: usize) -> &str {
        self.typed.get(i).map_or("", String::as_str)
    }
}

impl VariantForm {
    fn typed(&self) -> [String; 7] {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        [
            self.sku.clone(),
            self.title.clone(),
            self.price.clone(),
            self.stock.clone(),
            opt(&self.opt1),
            opt(&self.opt2),
            opt(&self.opt3),
        ]
    }
}

/// The problem of a variant form (option values are `opt1`–`opt3`).
fn variant_problem(e: ApiError) -> Result<(axum::http::StatusCode, Problem), ApiError> {
    Problem::of_coded(
        e,
        &[
            ("variant.sku", "sku"),
            ("variant.option", "opt"),
            ("variant.combination", "opt"),
            ("variant.title", "title"),
        ],
    )
}

/// After a variant or options form: back to the product, or its page again with the
/// form as typed and the problem beside the field.
async fn after(
    state: &AppState,
    staff: &Staff,
    product: ProductId,
    form: Refused,
    typed: [String; 7],
    outcome: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => back_to_product(state, staff, product, Ok(())).await,
        Err(e) => {
            let (status, problem) = match form {
                Refused::Options => Problem::of_coded(
                    e,
                    &[
                        ("product.option_names", "name"),
                        ("variant.combination", "name"),
                        ("variant.", "first"),
                    ],
                )?,
                _ => variant_problem(e)?,
            };
            let p = products::get(state, staff.tenant, product).await?;
            let refusal = Refusal {
                form,
                problem,
                typed,
            };
            Ok(page(status, edit_view_with(staff, &p, Some(&refusal))))
        }
    }
}

/// The mark of a variant form's field, when the refusal is this form's.
fn mark(refusal: Option<&Refusal>, name: &str, id: &str) -> super::layout::FieldMark {
    field(refusal.map(|r| &r.problem), name, id)
}

/// The product's options and variants: each variant a form of its own (SKU, title,
/// a value per option, price, stock), deletable but for the last; then the options and
/// a new variant.
pub(super) fn variants(staff: &Staff, p: &Product, refusal: Option<&Refusal>) -> Markup {
    let names = &p.option_names;
    let added = refusal.and_then(|r| r.for_form(Refused::New));
    let options = refusal.and_then(|r| r.for_form(Refused::Options));
    let value = |r: Option<&Refusal>, i: usize, stored: String| match r {
        Some(r) => r.typed(i).to_owned(),
        None => stored,
    };
    html! {
        h2 #variants { "Variants" }
        @if names.is_empty() {
            p.hint { "No options: shoppers pick a variant by its title. Name options below (such as Size and Colour) and shoppers choose one value of each." }
        } @else {
            p.hint { "Options: " (names.join(", ")) ". Each variant has a value for every option." }
        }
        ul.variants {
            @for v in &p.variants {
                @let r = refusal.and_then(|r| r.for_form(Refused::Variant(v.id)));
                @let id = |name: &str| format!("{}-{name}", v.id);
                @let [sku, title, price, stock] = ["sku", "title", "price", "stock"].map(|n| mark(r, n, &id(n)));
                li {
                    form.card method="post" action={ "/variants/" (v.id) } {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        input type="hidden" name="product_id" value=(p.id);
                        (form_problem(r.map(|r| &r.problem), &["sku", "title", "price", "stock", "opt"]))
                        div.fields {
                            label { "SKU " input id=(id("sku")) name="sku" required maxlength="64" value=(value(r, 0, v.sku.clone()))
                                aria-invalid=[sku.invalid] aria-describedby=[sku.described_by]; }
                            (sku.note)
                            label { "Title " input id=(id("title")) name="title" maxlength="200" value=(value(r, 1, v.title.clone()))
                                aria-invalid=[title.invalid] aria-describedby=[title.described_by]; }
                            (title.note)
                            @for (i, name) in names.iter().enumerate() {
                                // The message once, under the first option's value.
                                @let opt = mark(r.filter(|_| i == 0), "opt", &id(&format!("opt{}", i + 1)));
                                label { (name) " " input id=(id(&format!("opt{}", i + 1))) name={ "opt" (i + 1) } required maxlength="100"
                                    value=(value(r, 4 + i, v.options.get(name).and_then(|x| x.as_str()).unwrap_or("").to_owned()))
                                    aria-invalid=[opt.invalid] aria-describedby=[opt.described_by]; }
                                (opt.note)
                            }
                            label { "Price (" (v.currency) ") " input id=(id("price")) name="price" inputmode="decimal" size="8" required
                                value=(value(r, 2, Money::new(v.price_minor, v.currency).amount_text()))
                                aria-invalid=[price.invalid] aria-describedby=[price.described_by]; }
                            (price.note)
                            label { "Stock " input id=(id("stock")) name="stock" type="number" min="0" value=(value(r, 3, v.stock.to_string()))
                                aria-invalid=[stock.invalid] aria-describedby=[stock.described_by]; }
                            (stock.note)
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
        @let [sku, title, price, stock] = ["sku", "title", "price", "stock"].map(|n| mark(added, n, &format!("v-{n}")));
        form.card method="post" action={ "/products/" (p.id) "/variants" } {
            input type="hidden" name="csrf" value=(staff.csrf);
            h3 { "Add a variant" }
            (form_problem(added.map(|r| &r.problem), &["sku", "title", "price", "stock", "opt"]))
            label for="v-sku" { "SKU" }
            input #v-sku name="sku" required maxlength="64" value=(value(added, 0, String::new()))
                aria-invalid=[sku.invalid] aria-describedby=[sku.described_by];
            (sku.note)
            @for (i, name) in names.iter().enumerate() {
                @let opt = mark(added.filter(|_| i == 0), "opt", &format!("v-opt{}", i + 1));
                label for={ "v-opt" (i + 1) } { (name) }
                input id={ "v-opt" (i + 1) } name={ "opt" (i + 1) } required maxlength="100" value=(value(added, 4 + i, String::new()))
                    aria-invalid=[opt.invalid] aria-describedby=[opt.described_by];
                (opt.note)
            }
            label for="v-title" { "Title" @if !names.is_empty() { " (leave empty to use the option values)" } }
            input #v-title name="title" maxlength="200" value=(value(added, 1, String::new()))
                aria-invalid=[title.invalid] aria-describedby=[title.described_by];
            (title.note)
            label for="v-price" { "Price" }
            input #v-price name="price" required inputmode="decimal" value=(value(added, 2, String::new()))
                aria-invalid=[price.invalid] aria-describedby=[price.described_by];
            (price.note)
            label for="v-stock" { "Stock" }
            input #v-stock name="stock" type="number" min="0" value=(value(added, 3, "0".to_owned()))
                aria-invalid=[stock.invalid] aria-describedby=[stock.described_by];
            (stock.note)
            button type="submit" { "Add variant" }
        }
        @let (names_mark, first_mark) = (mark(options, "name", "name1"), mark(options, "first", "first1"));
        form.card method="post" action={ "/products/" (p.id) "/options" } {
            input type="hidden" name="csrf" value=(staff.csrf);
            h3 #options { "Options" }
            p.hint { "Up to three, in the order shoppers choose them. Renaming one renames it in every variant; emptying a name removes that option from every variant." }
            (form_problem(options.map(|r| &r.problem), &["name", "first"]))
            @for i in 0..3usize {
                @let current = names.get(i).cloned().unwrap_or_default();
                @let shown = value(options, i, current.clone());
                label for={ "name" (i + 1) } { "Option " (i + 1) }
                input id={ "name" (i + 1) } name={ "name" (i + 1) } maxlength="40" value=(shown) placeholder=(["Size", "Colour", "Material"][i])
                    aria-invalid=[names_mark.invalid.filter(|_| i == 0)] aria-describedby=[names_mark.described_by.clone().filter(|_| i == 0)];
                @if i == 0 { (names_mark.note) }
                @if current.is_empty() {
                    label for={ "first" (i + 1) } { "If you add it: the value your current variants have (for example " (["M", "Blue", "Cotton"][i]) ")" }
                    input id={ "first" (i + 1) } name={ "first" (i + 1) } maxlength="100" value=(value(options, 3 + i, String::new()))
                        aria-describedby=[first_mark.described_by.clone()];
                }
            }
            (first_mark.note)
            button type="submit" { "Save options" }
        }
    }
}

async fn add_variant(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, VariantForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let typed = f.typed();
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
    after(&state, &staff, id, Refused::New, typed, outcome).await
}

async fn variant_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<VariantId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, VariantForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let product = f.product_id.ok_or(ApiError::NotFound)?;
    let typed = f.typed();
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
    after(
        &state,
        &staff,
        product,
        Refused::Variant(id),
        typed,
        outcome,
    )
    .await
}

async fn options_submit(
    State(state): State<AppState>,
    PathParams(id): PathParams<ProductId>,
    CheckedForm(staff, f, _): CheckedForm<Staff, OptionsForm, CatalogEditor>,
) -> Result<Response, ApiError> {
    let names = [f.name1, f.name2, f.name3];
    let firsts = [f.first1, f.first2, f.first3];
    let outcome = crate::app::options::set_options(&state, staff.tenant, id, &names, &firsts)
        .await
        .map(drop);
    let [n1, n2, n3] = names;
    let [f1, f2, f3] = firsts;
    let typed = [n1, n2, n3, f1, f2, f3, String::new()];
    after(&state, &staff, id, Refused::Options, typed, outcome).await
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
