//! The shop's page frame and the pieces pages share.

use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::Shop;
use crate::db::catalog::{Frame, Product};
use crate::http::links::Links;
use crate::http::visit::MINICART_MARKER;

const CSS: &str = include_str!("shop.css");

/// The stylesheet.
pub async fn css() -> Response {
    platform_web::stylesheet(CSS)
}

/// The shop's own look as a stylesheet (its accent colour), after the common one; kept by
/// browsers for a minute, so a change in the console shows soon.
pub async fn look_css(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    shop: Shop,
) -> Result<Response, crate::error::ShopError> {
    let settings = state.settings.of(shop.id).await?;
    // The database admits `#rrggbb` only; checked again before it goes into CSS.
    let accent = settings.accent.as_deref().filter(|a| {
        a.len() == 7 && a.starts_with('#') && a[1..].bytes().all(|b| b.is_ascii_hexdigit())
    });
    let body = match accent {
        Some(a) => format!(":root {{ --accent: {a}; }}\n"),
        None => String::new(),
    };
    let mut r = body.into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=60"),
    );
    Ok(r)
}

/// The shop's frame for a page that has no transaction of its own (error pages); the
/// bare frame when it cannot be read (the database may be what failed), so the page
/// still shows the shop's name and a way back.
pub async fn shop_frame(state: &crate::AppState, shop: &Shop) -> Frame {
    match state.settings.of(shop.id).await {
        Ok(settings) => settings.frame.clone(),
        Err(_) => Frame::default(),
    }
}

/// The shop's page frame: header with its logo (or name), the menu with the collections
/// the merchant chose, search and mini-cart; footer with the privacy link and contact.
pub fn layout(shop: &Shop, links: Links, title: &str, frame: &Frame, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (shop.display_name) }
                link rel="stylesheet" href="/assets/shop.css";
                link rel="stylesheet" href="/assets/look.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href=(links.to("/")) {
                        @if let Some(logo) = &frame.logo {
                            // The link's name: the logo's alt text, else the shop's name.
                            @let alt = if logo.alt.is_empty() { shop.display_name.as_str() } else { logo.alt.as_str() };
                            img.logo src=(logo.src) srcset=(logo.srcset) sizes="12rem" alt=(alt)
                                width=(logo.width) height=(logo.height);
                        } @else {
                            (shop.display_name)
                        }
                    }
                    nav aria-label="Main" {
                        ul {
                            li { a href=(links.to("/products")) { "All products" } }
                            @for (handle, title) in &frame.menu {
                                li { a href=(links.to(format_args!("/collections/{handle}"))) { (title) } }
                            }
                            @if frame.menu.is_empty() {
                                li { a href=(links.to("/collections")) { "Collections" } }
                            }
                        }
                    }
                    form.search role="search" method="get" action=(links.to("/search")) {
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
                        a href=(links.to("/policies/privacy")) { "Privacy policy" }
                        " · " a href=(links.to("/newsletter")) { "Newsletter" }
                        @if !frame.menu.is_empty() { " · " a href=(links.to("/collections")) { "All collections" } }
                        @if let Some(c) = &frame.contact { " · Contact: " a href={ "mailto:" (c) } { (c) } }
                    }
                    p.small { "© " (shop.display_name) }
                }
            }
        }
    }
}

fn card(p: &Product, links: Links) -> Markup {
    html! {
        li.card {
            a href=(links.to(format_args!("/products/{}", p.handle))) {
                @if let Some(img) = &p.image {
                    // The card's link already says the title: a picture that only repeats
                    // it would be read twice, so without alt text of its own it is decorative.
                    img src=(img.src) srcset=(img.srcset) sizes="(max-width: 40rem) 50vw, 16rem"
                        alt=(img.alt) loading="lazy" width="320" height=(img.height_at(320));
                } @else {
                    div.placeholder aria-hidden="true" {}
                }
                h3 { (p.title) }
            }
            p.price {
                @if let Some(price) = p.price_from() { (price) }
                @if !p.available { " · " span.soldout { "Sold out" } }
            }
        }
    }
}

/// Product cards in a grid.
pub fn grid(products: &[Product], links: Links) -> Markup {
    html! {
        @if products.is_empty() {
            p { "Nothing here yet." }
        } @else {
            ul.grid { @for p in products { (card(p, links)) } }
        }
    }
}

/// A page about one visitor (their order, their data request): no cache keeps it and
/// its address, which may hold a secret, is never sent on as a referrer.
pub fn private_page(
    status: axum::http::StatusCode,
    shop: &Shop,
    links: Links,
    title: &str,
    frame: &Frame,
    body: Markup,
) -> Response {
    let mut response = (
        status,
        Html(layout(shop, links, title, frame, body).into_string()),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Too many forms from one client network: when to come back (seconds), said in the page
/// and in `Retry-After`.
pub fn too_many_requests(shop: &Shop, links: Links, frame: &Frame, wait: u32) -> Response {
    let mut response = private_page(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        shop,
        links,
        "Please try again later",
        frame,
        html! {
            h1 { "Please try again later" }
            p { "Many requests came from your network. Please try again in " (wait.div_ceil(60)) " minutes." }
        },
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(wait),
    );
    response
}

/// A rendered page.
pub fn page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

/// Text as the merchant typed it (a description, a policy): a `<p>` per paragraph, a
/// `<br>` between its lines, every character escaped. The one way the shop shows such
/// text, whatever line ends it was stored with.
pub fn prose(text: &str) -> Markup {
    html! {
        @for para in platform_domain::paragraphs(text) {
            p {
                @for (i, line) in para.iter().enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
    }
}
