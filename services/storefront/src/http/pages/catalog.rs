//! The catalog's pages: home, product lists, a product, a collection, search.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;
use platform_web::{PathParams, QueryParams, WebError};
use serde::Deserialize;

use super::layout::{grid, layout, page, private_page, prose};
use crate::db::catalog::{self, Frame, Variant};
use crate::error::ShopError;
use crate::http::links::Links;
use crate::http::page_cache::ViewedProduct;
use crate::{AppState, Shop};
use axum::http::StatusCode;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/products", get(products))
        .route("/products/{handle}", get(product))
        .route("/collections", get(collections))
        .route("/collections/{handle}", get(collection))
        .route("/search", get(search))
}

async fn home(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let featured = catalog::featured(&mut tx).await?;
    let (latest, _) = catalog::list(&mut tx, None).await?;
    let frame = &settings.frame;
    let banner = catalog::banner(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "Welcome",
        frame,
        html! {
            @if let Some(b) = &banner {
                section.banner.pictured[b.picture.is_some()] aria-labelledby="banner" {
                    @if let Some(p) = &b.picture {
                        img src=(p.src) srcset=(p.srcset) sizes="(max-width: 40rem) 100vw, 42rem"
                            alt=(p.alt) width=(p.width) height=(p.height);
                    }
                    div {
                        h1 #banner { (b.title) }
                        @if !b.text.is_empty() { p { (b.text) } }
                        p { a.button href=(links.to("/products")) { "Shop now" } }
                    }
                }
            } @else {
                h1 { "Welcome to " (shop.display_name) }
            }
            @if !featured.is_empty() {
                section aria-labelledby="featured" { h2 #featured { "Featured" } (grid(&featured, links)) }
            }
            section aria-labelledby="latest" {
                h2 #latest { "New arrivals" }
                (grid(&latest[..latest.len().min(8)], links))
                p { a href=(links.to("/products")) { "See all products →" } }
            }
        },
    )))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    after: Option<String>,
}

async fn products(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response, ShopError> {
    let after = q.after.as_deref().and_then(catalog::decode_cursor);
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let (items, next) = catalog::list(&mut tx, after).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "All products",
        frame,
        html! {
            h1 { "All products" }
            (grid(&items, links))
            nav.pager aria-label="Pages" {
                @if after.is_some() { a href=(links.to("/products")) { "← First page" } }
                @if let Some(n) = next { a rel="next" href=(links.to(format_args!("/products?after={n}"))) { "Next page →" } }
            }
        },
    )))
}

fn variant_label(v: &Variant) -> String {
    let mut label = v.title.clone();
    label.push_str(" — ");
    label.push_str(&v.price().to_string());
    if !v.available {
        label.push_str(" (sold out)");
    }
    label
}

/// A 13+ page's age question, answered by a link.
#[derive(Deserialize, Default)]
struct AgeQuery {
    age: Option<String>,
    /// The values chosen of the product's options, by place.
    o1: Option<String>,
    o2: Option<String>,
    o3: Option<String>,
}

/// A page the merchant marked 13+ in a shop that sells to minors (O19): asks the age
/// once per browser session, refuses visitors under 13; either way never cached for
/// others. `None` lets the page through.
fn age_gate(
    shop: &Shop,
    links: Links,
    frame: &Frame,
    headers: &axum::http::HeaderMap,
    answer: Option<&str>,
) -> Option<Response> {
    use platform_domain::AgeBand;
    let answered = answer.and_then(AgeBand::parse);
    let band = answered.or_else(|| crate::http::visit::age_band(headers));
    let mut response = match band {
        Some(AgeBand::ThirteenPlus) => return None,
        Some(AgeBand::Under13) => private_page(
            StatusCode::FORBIDDEN,
            shop,
            links,
            "For visitors 13 and over",
            frame,
            html! {
                h1 { "This page is for visitors 13 and over" }
                p { "You said you are under 13, so this page is not shown to you." }
                p { a href=(links.to("/products")) { "See the other products" } }
            },
        ),
        None => private_page(
            StatusCode::OK,
            shop,
            links,
            "For visitors 13 and over",
            frame,
            html! {
                h1 { "This page is for visitors 13 and over" }
                p { "Are you 13 or older?" }
                p {
                    a.button href="?age=13_plus" { "Yes, I am 13 or older" } " "
                    a.button.secondary href="?age=under_13" { "No, I am under 13" }
                }
            },
        ),
    };
    if let Some(band) = answered {
        response.headers_mut().append(
            axum::http::header::SET_COOKIE,
            crate::http::visit::age_cookie(band),
        );
    }
    Some(response)
}

async fn product(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    headers: axum::http::HeaderMap,
    QueryParams(age): QueryParams<AgeQuery>,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let found = catalog::by_handle(&mut tx, &handle).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    let restricted = settings.sells_to_minors && found.as_ref().is_some_and(|d| d.thirteen_plus);
    let Some(catalog::Detail {
        product: p,
        option_names,
        variants,
        pictures,
        ..
    }) = found
    else {
        return Err(ShopError::from(WebError::not_found(
            "product.not_found",
            "This product does not exist or is no longer sold.",
        )));
    };
    if restricted && let Some(refused) = age_gate(&shop, links, frame, &headers, age.age.as_deref())
    {
        return Ok(refused);
    }
    state.views.record(shop.id, p.id);
    let viewed = ViewedProduct(p.id);
    let first_available = variants.iter().position(|v| v.available).unwrap_or(0);
    let picker = (variants.len() > 1 && !option_names.is_empty()).then(|| {
        super::picker::pick(
            &option_names,
            &variants,
            [age.o1.as_deref(), age.o2.as_deref(), age.o3.as_deref()],
        )
    });
    // The one variant the page is about: the only one, or the combination chosen.
    let shown = match (&picker, variants.as_slice()) {
        (Some(picker), _) => picker.variant,
        (None, [only]) => Some(only),
        (None, _) => None,
    };
    let product_path = format!("/products/{}", p.handle);
    let mut response = page(layout(
        &shop,
        links,
        &p.title,
        frame,
        html! {
            article.product {
                div.gallery {
                    @if pictures.is_empty() { div.placeholder aria-hidden="true" {} }
                    @for (i, img) in pictures.iter().enumerate() {
                        img src=(img.src) srcset=(img.srcset) sizes="(max-width: 40rem) 100vw, 50vw"
                            alt=(img.alt) width="640" height=(img.height_at(640))
                            loading=(if i == 0 { "eager" } else { "lazy" });
                    }
                }
                div.details {
                    h1 { (p.title) }
                    @match (&picker, shown) {
                        (_, Some(v)) => {
                            p.price { (v.price()) }
                            p.availability { @if v.available { "In stock" } @else { "Sold out" } }
                        }
                        (Some(_), None) => {
                            p.availability role="status" { "This combination is not sold. Choose another." }
                        }
                        (None, None) => {
                            @if let Some(price) = p.price_from() { p.price { "From " (price) } }
                            p.availability { @if p.available { "In stock" } @else { "Sold out" } }
                        }
                    }
                    @if !variants.is_empty() {
                        form.variants method="post" action=(links.to("/cart/add")) {
                            (links.token_field())
                            @if let Some(picker) = &picker {
                                input type="hidden" name="product" value=(p.handle);
                                @for (i, name) in option_names.iter().enumerate() {
                                    fieldset.option {
                                        legend { (name) }
                                        @for value in &picker.values[i] {
                                            label {
                                                input type="radio" name={ "o" (i + 1) } value=(value) checked[picker.chosen[i] == *value];
                                                " " (value)
                                            }
                                        }
                                    }
                                }
                                p {
                                    button.secondary type="submit" formmethod="get" formaction=(links.to(&product_path)) {
                                        "Show price and stock"
                                    }
                                }
                            } @else if variants.len() > 1 {
                                fieldset {
                                    legend { "Choose an option" }
                                    @for (i, v) in variants.iter().enumerate() {
                                        label {
                                            input type="radio" name="variant" value=(v.id) checked[i == first_available] disabled[!v.available];
                                            " " (variant_label(v))
                                        }
                                    }
                                }
                            } @else {
                                input type="hidden" name="variant" value=(variants[0].id);
                            }
                            @if shown.map_or(p.available, |v| v.available) {
                                p {
                                    label for="quantity" { "Quantity " }
                                    input #quantity type="number" name="quantity" value="1" min="1" max="999" required;
                                    " "
                                    button type="submit" { "Add to cart" }
                                }
                            }
                        }
                    }
                    (prose(&p.description))
                }
            }
        },
    ));
    response.extensions_mut().insert(viewed);
    if restricted {
        // Shown to a visitor who said they are 13 or older: never from a shared cache.
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
        if let Some(band) = age.age.as_deref().and_then(platform_domain::AgeBand::parse) {
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                crate::http::visit::age_cookie(band),
            );
        }
    }
    Ok(response)
}

async fn collections(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let all = catalog::collections(&mut tx).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "Collections",
        frame,
        html! {
            h1 { "Collections" }
            @if all.is_empty() {
                p { "No collections yet. " a href=(links.to("/products")) { "See all products →" } }
            } @else {
                ul.collections {
                    @for (handle, title) in &all {
                        li { a href=(links.to(format!("/collections/{handle}"))) { (title) } }
                    }
                }
            }
        },
    )))
}

async fn collection(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let settings = state.settings.of(shop.id).await?;
    let mut tx = state.db.begin(shop.id).await?;
    let c = catalog::collection(&mut tx, &handle).await?;
    let frame = &settings.frame;
    tx.commit().await?;
    let c = c.ok_or_else(|| {
        WebError::not_found("collection.not_found", "This collection does not exist.")
    })?;
    Ok(page(layout(
        &shop,
        links,
        &c.title,
        frame,
        html! {
            h1 { (c.title) }
            (prose(&c.description))
            (grid(&c.products, links))
        },
    )))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Response, ShopError> {
    let query: String = q.q.trim().chars().take(200).collect();
    let settings = state.settings.of(shop.id).await?;
    let results = state.searches.search(shop.id, &query).await?;
    let frame = &settings.frame;
    Ok(page(layout(
        &shop,
        links,
        "Search",
        frame,
        html! {
            h1 { "Search" }
            form.search role="search" method="get" action=(links.to("/search")) {
                label for="search-again" { "Search products" }
                " "
                input #search-again type="search" name="q" value=(query);
                " "
                button type="submit" { "Search" }
            }
            @if query.is_empty() {
                p { "Type a word to find products." }
            } @else {
                p { (results.len()) " result" @if results.len() != 1 { "s" } " for “" (query) "”" }
                (grid(&results, links))
            }
        },
    )))
}
