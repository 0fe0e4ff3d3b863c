//! Links as a visitor can follow them. A visitor whose browser refuses cookies keeps the
//! cart in the URL (`/c/<token>/…`, O4): every link and form of their pages is rendered
//! with that prefix and every cart form carries the token in a hidden field, so nothing
//! is rewritten after rendering. Their pages are therefore never taken from, nor put
//! into, the shared page cache.

use std::fmt::Display;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use maud::{Markup, html};
use platform_cart_api::{CartId, Mode};

use crate::http::visit::Visit;

/// How this visitor's links are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Links {
    /// The cart token of a cookie-less visitor.
    token: Option<CartId>,
}

impl Links {
    /// The links of a visit.
    pub fn of(visit: Visit) -> Self {
        Links {
            token: match visit.mode {
                Mode::Visit => visit.cart,
                Mode::Cookie => None,
            },
        }
    }

    /// A link to `path` (which starts with `/`).
    pub fn to(&self, path: impl Display) -> String {
        match self.token {
            Some(token) => format!("/c/{token}{path}"),
            None => path.to_string(),
        }
    }

    /// The hidden field that carries the token in a cart form (nothing for cookie carts).
    pub fn token_field(&self) -> Markup {
        html! {
            @if let Some(token) = self.token {
                input type="hidden" name="cart_token" value=(token);
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Links {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visit = Visit::from_request_parts(parts, state).await?;
        Ok(Links::of(visit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_visitors_get_prefixed_links_and_a_token_field() {
        let token = CartId::random();
        let l = Links::of(Visit {
            cart: Some(token),
            mode: Mode::Visit,
        });
        assert_eq!(l.to("/products"), format!("/c/{token}/products"));
        assert!(l.token_field().into_string().contains(&token.to_string()));
        let cookie = Links::of(Visit {
            cart: Some(token),
            mode: Mode::Cookie,
        });
        assert_eq!(cookie.to("/products"), "/products");
        assert_eq!(cookie.token_field().into_string(), "");
    }
}
