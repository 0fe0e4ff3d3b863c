//! The storefront's error pages: in the shop's own layout when the request named a shop,
//! a bare page otherwise (an unknown host must learn nothing about other shops).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use maud::html;
use platform_web::{ErrorInfo, ErrorPage, ErrorView, PlainErrorPage};

use crate::db::catalog::Frame;
use crate::http::links::Links;
use crate::http::pages::{layout, shop_frame};
use crate::http::shop::request_host;
use crate::http::visit::Visit;
use crate::{AppState, Shop};

/// What an error page needs to show the shop's frame.
#[derive(Clone)]
struct ErrorFrame {
    shop: Shop,
    links: Links,
    frame: Frame,
}

/// Middleware (inside the error renderer): leaves the shop and the visitor's links on an
/// error answer, for [`ShopErrorPage`].
pub async fn frame_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request_host(request.headers(), request.uri());
    let links = Links::of(
        request
            .extensions()
            .get::<Visit>()
            .copied()
            .unwrap_or_default(),
    );
    let mut response = next.run(request).await;
    if response.extensions().get::<ErrorInfo>().is_some()
        && let Some(host) = host
        && let Ok(Some(shop)) = state.hosts.resolve(&host).await
        && shop.status == platform_domain::ShopStatus::Active
    {
        let frame = shop_frame(&state, &shop).await;
        response
            .extensions_mut()
            .insert(ErrorFrame { shop, links, frame });
    }
    response
}

/// Renders errors in the shop's layout.
pub struct ShopErrorPage;

impl ErrorPage for ShopErrorPage {
    fn render(&self, error: &ErrorView<'_>) -> String {
        let Some(frame) = error.extensions.get::<ErrorFrame>() else {
            return PlainErrorPage.render(error);
        };
        let links = frame.links;
        layout(
            &frame.shop,
            links,
            error.title(),
            &frame.frame,
            html! {
                h1 { (error.title()) }
                p.notice role="alert" { (error.message) }
                @if let Some(id) = error.request_id {
                    p.small { "Reference: " code { (id) } }
                }
                p { a href=(links.to("/")) { "Back to the shop" } " · " a href=(links.to("/products")) { "All products" } }
            },
        )
        .into_string()
    }
}
