//! The typed client of the cart service: HTTPS with the caller's client certificate
//! (mutual TLS), short timeouts, and one error type that tells "the cart is away"
//! (answer 503, keep browsing) from "the cart refused this" (a coded 4xx).

use std::time::Duration;

use platform_tenancy::TenantId;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::{
    AddLine, CartId, CartView, ErrorCode, LineChanged, Mode, ModeQuery, Prefill, SetQuantity,
    Summary, VariantId,
};

/// A failed cart call.
#[derive(Debug, thiserror::Error)]
pub enum CartCallError {
    /// The cart service could not be reached, was too slow, or sent an unreadable answer.
    #[error("cart unreachable")]
    Unreachable(#[source] reqwest::Error),
    /// The cart service answered with a server error (its Redis is away, say).
    #[error("cart answered {0}")]
    ServerError(StatusCode),
    /// The cart refused the request (4xx) with this code and message.
    #[error("cart refused: {}", code.as_str())]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// The cart's code.
        code: ErrorCode,
        /// Its public message.
        message: String,
    },
}

impl CartCallError {
    /// The cart is away (as opposed to refusing the request).
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, CartCallError::Refused { .. })
    }
}

/// The client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    /// The configured base is not an absolute http(s) URL.
    #[error("the cart service URL {0:?} is not an absolute http(s) URL")]
    BaseUrl(String),
    /// The HTTP client could not be built.
    #[error("HTTP client")]
    Http(#[from] reqwest::Error),
}

/// The client.
#[derive(Clone)]
pub struct CartClient {
    http: reqwest::Client,
    base: Url,
}

/// Which resource of a cart a call is about.
enum Resource {
    Cart,
    Summary,
    Lines,
    Line(VariantId),
    Prefill,
    Mode,
}

impl CartClient {
    /// A client of the cart service at `base` (`https://localhost:8445`) with a TLS
    /// configuration that carries the caller's client certificate. It offers HTTP/2
    /// (ALPN), so the calls of every visitor share one connection, several to a
    /// read and a write, instead of one connection and two system calls each.
    pub fn new(base: &str, mut tls: rustls::ClientConfig) -> Result<Self, ClientSetupError> {
        let base = Url::parse(base)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && !u.cannot_be_a_base())
            .ok_or_else(|| ClientSetupError::BaseUrl(base.to_owned()))?;
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(3))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(CartClient { http, base })
    }

    /// `…/v1/shops/<tenant>/carts/<cart>[/<resource>]?mode=<mode>`, every segment pushed
    /// (and so percent-encoded) one by one: no segment can add a path level or climb one.
    fn url(&self, tenant: TenantId, cart: CartId, resource: Resource, mode: Mode) -> Url {
        let mut url = self.base.clone();
        let tenant = tenant.to_string();
        let cart = cart.to_string();
        let variant;
        let mut segments = vec!["v1", "shops", &tenant, "carts", &cart];
        match resource {
            Resource::Cart => {}
            Resource::Summary => segments.push("summary"),
            Resource::Lines => segments.push("lines"),
            Resource::Line(v) => {
                variant = v.to_string();
                segments.extend(["lines", &variant]);
            }
            Resource::Prefill => segments.push("prefill"),
            Resource::Mode => segments.push("mode"),
        }
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url.query_pairs_mut().append_pair("mode", mode.as_str());
        url
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, CartCallError> {
        let response = request.send().await.map_err(CartCallError::Unreachable)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_server_error() {
            return Err(CartCallError::ServerError(status));
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let text = |field: &str| body["error"][field].as_str().unwrap_or_default().to_owned();
        Err(CartCallError::Refused {
            status,
            code: ErrorCode::parse(&text("code")).unwrap_or(ErrorCode::Refused),
            message: text("message"),
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, CartCallError> {
        self.send(request)
            .await?
            .json()
            .await
            .map_err(CartCallError::Unreachable)
    }

    /// The priced cart.
    pub async fn view(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<CartView, CartCallError> {
        self.json(self.http.get(self.url(tenant, cart, Resource::Cart, mode)))
            .await
    }

    /// The mini-cart; bounded tighter than other calls, since every page waits for it.
    pub async fn summary(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<Summary, CartCallError> {
        self.json(
            self.http
                .get(self.url(tenant, cart, Resource::Summary, mode))
                .timeout(Duration::from_millis(800)),
        )
        .await
    }

    /// Adds a variant.
    pub async fn add(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
        quantity: i64,
    ) -> Result<LineChanged, CartCallError> {
        let body = AddLine {
            variant_id: variant.to_string(),
            quantity,
        };
        self.json(
            self.http
                .post(self.url(tenant, cart, Resource::Lines, mode))
                .json(&body),
        )
        .await
    }

    /// Sets a line's quantity.
    pub async fn set_quantity(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
        quantity: i64,
    ) -> Result<LineChanged, CartCallError> {
        let url = self.url(tenant, cart, Resource::Line(variant), mode);
        self.json(self.http.put(url).json(&SetQuantity { quantity }))
            .await
    }

    /// Removes a line.
    pub async fn remove(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
    ) -> Result<(), CartCallError> {
        let url = self.url(tenant, cart, Resource::Line(variant), mode);
        self.send(self.http.delete(url)).await.map(drop)
    }

    /// Empties the cart.
    pub async fn clear(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<(), CartCallError> {
        self.send(
            self.http
                .delete(self.url(tenant, cart, Resource::Cart, mode)),
        )
        .await
        .map(drop)
    }

    /// The checkout draft (empty when none).
    pub async fn prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<Prefill, CartCallError> {
        self.json(
            self.http
                .get(self.url(tenant, cart, Resource::Prefill, mode)),
        )
        .await
    }

    /// Saves the checkout draft.
    pub async fn save_prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        prefill: &Prefill,
    ) -> Result<Summary, CartCallError> {
        self.json(
            self.http
                .put(self.url(tenant, cart, Resource::Prefill, mode))
                .json(prefill),
        )
        .await
    }

    /// Forgets the checkout draft.
    pub async fn forget_prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<(), CartCallError> {
        self.send(
            self.http
                .delete(self.url(tenant, cart, Resource::Prefill, mode)),
        )
        .await
        .map(drop)
    }

    /// Switches how the cart is kept (the browser refused the cookie).
    pub async fn set_mode(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<Summary, CartCallError> {
        self.json(
            self.http
                .put(self.url(tenant, cart, Resource::Mode, mode))
                .json(&ModeQuery { mode }),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> CartClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        });
        match tls.map(|tls| CartClient::new("https://cart.internal:8445/", tls)) {
            Ok(Ok(c)) => c,
            _ => panic!("client"),
        }
    }

    #[test]
    fn urls_are_built_from_typed_segments() {
        let c = client();
        let (t, cart, v) = (TenantId::random(), CartId::random(), VariantId::random());
        assert_eq!(
            c.url(t, cart, Resource::Line(v), Mode::Visit).as_str(),
            format!("https://cart.internal:8445/v1/shops/{t}/carts/{cart}/lines/{v}?mode=visit")
        );
        assert_eq!(
            c.url(t, cart, Resource::Cart, Mode::Cookie).as_str(),
            format!("https://cart.internal:8445/v1/shops/{t}/carts/{cart}?mode=cookie")
        );
    }

    #[test]
    fn a_base_that_is_no_url_is_refused_at_setup() {
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        });
        let Ok(tls) = tls else { panic!("tls") };
        assert!(matches!(
            CartClient::new("localhost:8445", tls),
            Err(ClientSetupError::BaseUrl(_))
        ));
    }
}
