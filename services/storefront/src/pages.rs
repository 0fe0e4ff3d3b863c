//! The shop's HTML pages: semantic, accessible, no JavaScript needed.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use platform_web::{PathParams, QueryParams, WebError};

use crate::error::ShopError;
use serde::Deserialize;

use crate::catalog::{self, Product, Variant};
use crate::visit::{MINICART_MARKER, TOKEN_FIELD_MARKER};
use crate::{AppState, Shop};

const CSS: &str = include_str!("shop.css");

/// Page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/shop.css", get(css))
        .route("/products", get(products))
        .route("/products/{handle}", get(product))
        .route("/collections/{handle}", get(collection))
        .route("/search", get(search))
        .route("/policies/privacy", get(privacy))
}

async fn css() -> Response {
    let mut r = CSS.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// Formats minor units as a price ("12.50 EUR"). Currencies are shown with two decimals;
/// zero-decimal currencies (JPY, KRW, …) are a known simplification for now.
pub fn money(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

/// The shop's page frame: header with search and mini-cart, footer with the privacy link.
pub(crate) fn layout(shop: &Shop, title: &str, contact: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (shop.display_name) }
                link rel="stylesheet" href="/assets/shop.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" { (shop.display_name) }
                    nav aria-label="Main" {
                        a href="/products" { "All products" }
                    }
                    form.search role="search" method="get" action="/search" {
                        label.visually-hidden for="q" { "Search products" }
                        input #q type="search" name="q" placeholder="Search products";
                        button type="submit" { "Search" }
                    }
                    // Filled in per visitor by the visit middleware (pages are cached).
                    (PreEscaped(MINICART_MARKER))
                }
                main #main { (body) }
                footer.site {
                    p {
                        a href="/policies/privacy" { "Privacy policy" }
                        @if let Some(c) = contact { " · Contact: " a href={ "mailto:" (c) } { (c) } }
                    }
                    p.small { "© " (shop.display_name) }
                }
            }
        }
    }
}

fn card(p: &Product) -> Markup {
    html! {
        li.card {
            a href={ "/products/" (p.handle) } {
                @if let Some(img) = p.image_urls.first() {
                    img src=(img) alt=(p.title) loading="lazy" width="320" height="320";
                } @else {
                    div.placeholder aria-hidden="true" {}
                }
                h3 { (p.title) }
            }
            p.price {
                @if let (Some(price), Some(cur)) = (p.price_from, p.currency.as_deref()) { (money(price, cur)) }
                @if !p.available { " · " span.soldout { "Sold out" } }
            }
        }
    }
}

fn grid(products: &[Product]) -> Markup {
    html! {
        @if products.is_empty() {
            p { "Nothing here yet." }
        } @else {
            ul.grid { @for p in products { (card(p)) } }
        }
    }
}

fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

async fn home(State(state): State<AppState>, shop: Shop) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let featured = catalog::featured(&mut tx).await?;
    let (latest, _) = catalog::list(&mut tx, None).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        "Welcome",
        contact.as_deref(),
        html! {
            h1 { "Welcome to " (shop.display_name) }
            @if !featured.is_empty() {
                section aria-labelledby="featured" { h2 #featured { "Featured" } (grid(&featured)) }
            }
            section aria-labelledby="latest" {
                h2 #latest { "New arrivals" }
                (grid(&latest[..latest.len().min(8)]))
                p { a href="/products" { "See all products →" } }
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
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response, ShopError> {
    let after = q.after.as_deref().and_then(catalog::decode_cursor);
    let mut tx = state.db.begin(shop.id).await?;
    let (items, next) = catalog::list(&mut tx, after).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        "All products",
        contact.as_deref(),
        html! {
            h1 { "All products" }
            (grid(&items))
            nav.pager aria-label="Pages" {
                @if after.is_some() { a href="/products" { "← First page" } }
                @if let Some(n) = next { a rel="next" href={ "/products?after=" (n) } { "Next page →" } }
            }
        },
    )))
}

fn variant_label(v: &Variant) -> String {
    let mut label = v.title.clone();
    label.push_str(" — ");
    label.push_str(&money(v.price_minor, &v.currency));
    if !v.available {
        label.push_str(" (sold out)");
    }
    label
}

async fn product(
    State(state): State<AppState>,
    shop: Shop,
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
    let viewed = crate::page_cache::ViewedProduct(p.id);
    let first_available = variants.iter().position(|v| v.available).unwrap_or(0);
    let mut response = page(layout(
        &shop,
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
                    @if let (Some(price), Some(cur)) = (p.price_from, p.currency.as_deref()) {
                        p.price { @if variants.len() > 1 { "From " } (money(price, cur)) }
                    }
                    p.availability { @if p.available { "In stock" } @else { "Sold out" } }
                    @if !variants.is_empty() {
                        form.variants method="post" action="/cart/add" {
                            (PreEscaped(TOKEN_FIELD_MARKER))
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
        &c.title,
        contact.as_deref(),
        html! {
            h1 { (c.title) }
            @if !c.description.is_empty() { p { (c.description) } }
            (grid(&c.products))
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
        "Search",
        contact.as_deref(),
        html! {
            h1 { "Search" }
            @if query.is_empty() {
                p { "Type a word to find products." }
            } @else {
                p { (results.len()) " result" @if results.len() != 1 { "s" } " for “" (query) "”" }
                (grid(&results))
            }
        },
    )))
}

async fn privacy(State(state): State<AppState>, shop: Shop) -> Result<Response, ShopError> {
    let mut tx = state.db.begin(shop.id).await?;
    let (current, upcoming) = catalog::policies(&mut tx, chrono::Utc::now()).await?;
    let contact = catalog::contact(&mut tx).await?;
    tx.commit().await?;
    Ok(page(layout(
        &shop,
        "Privacy policy",
        contact.as_deref(),
        html! {
            h1 { "Privacy policy" }
            @if let Some(next) = &upcoming {
                aside.notice role="note" {
                    "This policy changes on " (next.effective_at.format("%-d %B %Y")) ". "
                    a href="#upcoming" { "Read the new version" } "."
                }
            }
            @match &current {
                Some(p) => {
                    p.small { "Version " (p.version) ", in effect since " (p.effective_at.format("%-d %B %Y")) "." }
                    @for para in p.body.split("\n\n") { p { (para) } }
                }
                None => p { (shop.display_name) " has not published a privacy policy yet. The platform processes visitors' data only on the shop's behalf." }
            }
            @if let Some(next) = &upcoming {
                section #upcoming {
                    h2 { "Upcoming version " (next.version) }
                    @for para in next.body.split("\n\n") { p { (para) } }
                }
            }
        },
    )))
}
