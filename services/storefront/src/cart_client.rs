//! The storefront's client of the cart service: HTTPS with the storefront's client
//! certificate (mutual TLS), short timeouts, and one error type that tells "the cart is
//! away" (answer 503, keep browsing) from "the cart refused this" (a coded 4xx).

use std::time::Duration;

use axum::http::StatusCode;
use cart::api::{AddLine, CartView, LineChanged, Mode, ModeQuery, Prefill, SetQuantity, Summary};
use cart::domain::CartId;
use platform_tenancy::TenantId;
use platform_web::WebError;
use serde::de::DeserializeOwned;

/// Seconds a visitor is asked to wait when the cart is away.
pub const RETRY_AFTER_SECS: u32 = 5;

/// A failed cart call.
#[derive(Debug, thiserror::Error)]
pub enum CartCallError {
    /// The cart service or its Redis is unreachable, slow or answered 5xx.
    #[error("cart unavailable: {0}")]
    Unavailable(String),
    /// The cart refused the request (4xx) with this code and message.
    #[error("cart refused: {code}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// The cart's stable code.
        code: String,
        /// Its public message.
        message: String,
    },
}

// WebError codes are static: the cart's codes are a closed set, mapped here.
fn static_code(code: &str) -> &'static str {
    match code {
        "cart.line_limit" => "cart.line_limit",
        "cart.quantity_invalid" => "cart.quantity_invalid",
        "cart.variant_unavailable" => "cart.variant_unavailable",
        "cart.insufficient_stock" => "cart.insufficient_stock",
        "cart.no_such_line" => "cart.no_such_line",
        "cart.malformed_id" => "cart.malformed_id",
        "cart.prefill_invalid" => "cart.prefill_invalid",
        "cart.prefill_email_invalid" => "cart.prefill_email_invalid",
        "cart.prefill_phone_invalid" => "cart.prefill_phone_invalid",
        "cart.prefill_country_invalid" => "cart.prefill_country_invalid",
        _ => "cart.refused",
    }
}

impl From<CartCallError> for WebError {
    fn from(e: CartCallError) -> WebError {
        match e {
            CartCallError::Unavailable(cause) => WebError::unavailable(
                "cart.unavailable",
                "Your cart is unavailable for a moment. Your items are safe; please try again in a few seconds.",
                RETRY_AFTER_SECS,
            )
            .with_cause(cause),
            CartCallError::Refused {
                status,
                code,
                message,
            } => WebError::new(status, static_code(&code), message),
        }
    }
}

/// The client.
#[derive(Clone)]
pub struct CartClient {
    http: reqwest::Client,
    base: String,
}

impl CartClient {
    /// A client of the cart service at `base` (`https://localhost:8445`) with a TLS
    /// configuration that carries the storefront's client certificate.
    pub fn new(base: &str, tls: rustls::ClientConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(3))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(CartClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, tenant: TenantId, cart: CartId, rest: &str, mode: Mode) -> String {
        let mode = match mode {
            Mode::Cookie => "cookie",
            Mode::Visit => "visit",
        };
        format!(
            "{}/v1/shops/{tenant}/carts/{cart}{rest}?mode={mode}",
            self.base
        )
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, CartCallError> {
        let response = request
            .send()
            .await
            .map_err(|e| CartCallError::Unavailable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_server_error() {
            return Err(CartCallError::Unavailable(format!(
                "cart answered {status}"
            )));
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let text = |field: &str| body["error"][field].as_str().unwrap_or_default().to_owned();
        Err(CartCallError::Refused {
            status: StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_REQUEST),
            code: text("code"),
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
            .map_err(|e| CartCallError::Unavailable(e.to_string()))
    }

    /// The priced cart.
    pub async fn view(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<CartView, CartCallError> {
        self.json(self.http.get(self.url(tenant, cart, "", mode)))
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
                .get(self.url(tenant, cart, "/summary", mode))
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
        variant_id: String,
        quantity: i64,
    ) -> Result<LineChanged, CartCallError> {
        let body = AddLine {
            variant_id,
            quantity,
        };
        self.json(
            self.http
                .post(self.url(tenant, cart, "/lines", mode))
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
        variant_id: &str,
        quantity: i64,
    ) -> Result<LineChanged, CartCallError> {
        let url = self.url(tenant, cart, &format!("/lines/{variant_id}"), mode);
        self.json(self.http.put(url).json(&SetQuantity { quantity }))
            .await
    }

    /// Removes a line.
    pub async fn remove(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant_id: &str,
    ) -> Result<(), CartCallError> {
        let url = self.url(tenant, cart, &format!("/lines/{variant_id}"), mode);
        self.send(self.http.delete(url)).await.map(drop)
    }

    /// Empties the cart.
    pub async fn clear(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
    ) -> Result<(), CartCallError> {
        self.send(self.http.delete(self.url(tenant, cart, "", mode)))
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
        self.json(self.http.get(self.url(tenant, cart, "/prefill", mode)))
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
                .put(self.url(tenant, cart, "/prefill", mode))
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
        self.send(self.http.delete(self.url(tenant, cart, "/prefill", mode)))
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
                .put(self.url(tenant, cart, "/mode", mode))
                .json(&ModeQuery { mode }),
        )
        .await
    }
}
