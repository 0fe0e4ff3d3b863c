//! The catalog's pages: home, product lists, a product, a collection, search.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use maud::html;
use platform_web::{PathParams, QueryParams, WebError};
use serde::Deserialize;

use super::layout::{grid, layout, page};
use crate::db::catalog::{self, Variant};
use crate::error::ShopError;
use crate::http::links::Links;
use crate::http::page_cache::ViewedProduct;
use crate::{AppState, Shop};

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/products", get(products))
        .route("/products/{handle}", get(product))
        .route("/collections/{handle}", get(collection))
        .route("/search", get(search))
}

async fn home(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let featured = catalog::featured(&mut tx).await?;
    let (latest, _) = catalog::list(&mut tx, None).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "Welcome",
        contact.as_deref(),
        html! {
            h1 { "Welcome to " (shop.display_name) }
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
    let mut tx = state.db.begin(shop.id).await?;
    let (items, next) = catalog::list(&mut tx, after).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "All products",
        contact.as_deref(),
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

async fn product(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let found = catalog::by_handle(&mut tx, &handle).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    let Some((p, variants)) = found else {
        return Err(ShopError::from(WebError::not_found(
            "product.not_found",
            "This product does not exist or is no longer sold.",
        )));
    };
    state.views.record(shop.id, p.id);
    let viewed = ViewedProduct(p.id);
    let first_available = variants.iter().position(|v| v.available).unwrap_or(0);
    let mut response = page(layout(
        &shop,
        links,
        &p.title,
        contact.as_deref(),
        html! {
            article.product {
                div.gallery {
                    @if p.image_urls.is_empty() { div.placeholder aria-hidden="true" {} }
                    @for (i, img) in p.image_urls.iter().enumerate() {
                        img src=(img) alt={ (p.title) @if i > 0 { " (image " (i + 1) ")" } } width="640" height="640";
                    }
                }
                div.details {
                    h1 { (p.title) }
                    @if let Some(price) = p.price_from() {
                        p.price { @if variants.len() > 1 { "From " } (price) }
                    }
                    p.availability { @if p.available { "In stock" } @else { "Sold out" } }
                    @if !variants.is_empty() {
                        form.variants method="post" action=(links.to("/cart/add")) {
                            (links.token_field())
                            fieldset {
                                legend { "Choose an option" }
                                @for (i, v) in variants.iter().enumerate() {
                                    label {
                                        input type="radio" name="variant" value=(v.id) checked[i == first_available] disabled[!v.available];
                                        " " (variant_label(v))
                                    }
                                }
                            }
                            @if p.available {
                                p {
                                    label for="quantity" { "Quantity " }
                                    input #quantity type="number" name="quantity" value="1" min="1" max="999" required;
                                    " "
                                    button type="submit" { "Add to cart" }
                                }
                            }
                        }
                    }
                    @for para in p.description.split("\n\n").filter(|s| !s.trim().is_empty()) {
                        p { (para) }
                    }
                }
            }
        },
    ));
    response.extensions_mut().insert(viewed);
    Ok(response)
}

async fn collection(
    State(state): State<AppState>,
    shop: Shop,
    links: Links,
    PathParams(handle): PathParams<String>,
) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let c = catalog::collection(&mut tx, &handle).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    let c = c.ok_or_else(|| {
        WebError::not_found("collection.not_found", "This collection does not exist.")
    })?;
    Ok(page(layout(
        &shop,
        links,
        &c.title,
        contact.as_deref(),
        html! {
            h1 { (c.title) }
            @if !c.description.is_empty() { p { (c.description) } }
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
    let mut tx = state.db.begin(shop.id).await?;
    let results = if query.is_empty() {
        Vec::new()
    } else {
        catalog::search(&mut tx, &query).await?
    };
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        links,
        "Search",
        contact.as_deref(),
        html! {
            h1 { "Search" }
            @if query.is_empty() {
                p { "Type a word to find products." }
            } @else {
                p { (results.len()) " result" @if results.len() != 1 { "s" } " for “" (query) "”" }
                (grid(&results, links))
            }
        },
    )))
}
