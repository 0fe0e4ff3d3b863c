//! The typed client of the orders service: HTTPS with the caller's client certificate
//! (mutual TLS), timeouts, and one error type that tells "orders is away" (answer 503,
//! the buyer may retry with the same key) from "orders refused this" (a coded 4xx).

use std::time::Duration;

use platform_domain::OrderId;
use platform_tenancy::TenantId;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::{
    BuyerOrder, ErrorCode, IDEMPOTENCY_KEY, OrderDetail, OrderList, OrderListQuery, OrderSummary,
    PlaceOrder, PlacedOrder, Quote, QuoteRequest,
};

mod privacy;

/// A failed orders call.
#[derive(Debug, thiserror::Error)]
pub enum OrdersCallError {
    /// The service could not be reached, was too slow, or sent an unreadable answer.
    #[error("orders unreachable")]
    Unreachable(#[source] reqwest::Error),
    /// The service answered with a server error (its database is away, say).
    #[error("orders answered {0}")]
    ServerError(StatusCode),
    /// The service refused the request (4xx) with this code and message.
    #[error("orders refused: {}", code.as_str())]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// The service's code.
        code: ErrorCode,
        /// Its public message.
        message: String,
        /// The request field it is about, when it names one (`contact.email`, `until`).
        field: Option<String>,
    },
}

impl OrdersCallError {
    /// The service is away (as opposed to refusing the request): a retry with the same
    /// idempotency key is safe.
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, OrdersCallError::Refused { .. })
    }

    /// The refusal's code, if it is one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            OrdersCallError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    /// The configured base is not an absolute http(s) URL.
    #[error("the orders service URL {0:?} is not an absolute http(s) URL")]
    BaseUrl(String),
    /// The HTTP client could not be built.
    #[error("HTTP client")]
    Http(#[from] reqwest::Error),
}

/// The client.
#[derive(Clone)]
pub struct OrdersClient {
    http: reqwest::Client,
    base: Url,
}

impl OrdersClient {
    /// A client of the orders service at `base` (`https://localhost:8446`) with a TLS
    /// configuration that carries the caller's client certificate.
    pub fn new(base: &str, tls: rustls::ClientConfig) -> Result<Self, ClientSetupError> {
        let base = Url::parse(base)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && !u.cannot_be_a_base())
            .ok_or_else(|| ClientSetupError::BaseUrl(base.to_owned()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(OrdersClient { http, base })
    }

    /// `…/v1/shops/<tenant>/<segments…>`, every segment pushed (and so percent-encoded)
    /// one by one: no segment can add a path level or climb one.
    fn url(&self, tenant: TenantId, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        let tenant = tenant.to_string();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["v1", "shops", &tenant])
                .extend(segments);
        }
        url
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, OrdersCallError> {
        let response = request.send().await.map_err(OrdersCallError::Unreachable)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let text = |field: &str| body["error"][field].as_str().unwrap_or_default().to_owned();
        let code = ErrorCode::parse(&text("code"));
        // A server error is the service's own trouble, unless it names a partner that is
        // (the payment processor, the carrier): then the caller can say which.
        let partner = matches!(
            code,
            Some(
                ErrorCode::PaymentsUnavailable
                    | ErrorCode::ProcessorRefused
                    | ErrorCode::CarrierUnavailable
                    | ErrorCode::CarrierRefused
            )
        );
        if status.is_server_error() && !partner {
            return Err(OrdersCallError::ServerError(status));
        }
        Err(OrdersCallError::Refused {
            status,
            code: code.unwrap_or(ErrorCode::Refused),
            message: text("message"),
            field: body["error"]["field"].as_str().map(str::to_owned),
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, OrdersCallError> {
        self.send(request)
            .await?
            .json()
            .await
            .map_err(OrdersCallError::Unreachable)
    }

    /// Prices a prospective order now.
    pub async fn quote(
        &self,
        tenant: TenantId,
        request: &QuoteRequest,
    ) -> Result<Quote, OrdersCallError> {
        self.json(self.http.post(self.url(tenant, &["quotes"])).json(request))
            .await
    }

    /// Places an order. `key` makes the call safe to repeat: the same key and body
    /// answer the same order.
    pub async fn place(
        &self,
        tenant: TenantId,
        key: &str,
        order: &PlaceOrder,
    ) -> Result<PlacedOrder, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["orders"]))
                .header(IDEMPOTENCY_KEY, key)
                .json(order),
        )
        .await
    }

    /// The order a finished idempotency key placed (404 when the key placed none).
    pub async fn placed_by_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<PlacedOrder, OrdersCallError> {
        self.json(self.http.get(self.url(tenant, &["orders", "by-key", key])))
            .await
    }

    /// Cancels an unpaid order on behalf of `staff` (its stock goes back); cancelling a
    /// cancelled order again changes nothing.
    pub async fn cancel(
        &self,
        tenant: TenantId,
        order: OrderId,
        staff: platform_domain::StaffId,
    ) -> Result<OrderSummary, OrdersCallError> {
        let id = order.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["orders", &id, "cancel"]))
                .json(&crate::CancelOrder { staff_id: staff }),
        )
        .await
    }

    /// The buyer's view of an order, by its public code.
    pub async fn by_code(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<BuyerOrder, OrdersCallError> {
        self.json(
            self.http
                .get(self.url(tenant, &["orders", "by-code", code])),
        )
        .await
    }

    /// Opens (or finds) the order's payment at the processor: where to send the buyer.
    pub async fn start_payment(
        &self,
        tenant: TenantId,
        code: &str,
        return_url: &str,
    ) -> Result<crate::PaymentStart, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["orders", "by-code", code, "payment"]))
                .json(&crate::StartPayment {
                    return_url: return_url.to_owned(),
                }),
        )
        .await
    }

    /// The buyer came back from the payment page: orders asks the processor and moves
    /// the order forward if it was paid. Answers the buyer's view.
    pub async fn confirm_payment(
        &self,
        tenant: TenantId,
        code: &str,
    ) -> Result<BuyerOrder, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["orders", "by-code", code, "payment", "confirm"])),
        )
        .await
    }

    /// Refunds part or all of a paid order through the processor.
    pub async fn refund(
        &self,
        tenant: TenantId,
        order: OrderId,
        refund: &crate::RefundOrder,
    ) -> Result<OrderSummary, OrdersCallError> {
        let id = order.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["orders", &id, "refunds"]))
                .json(refund),
        )
        .await
    }

    /// Marks a paid order shipped (typed tracking, or booked with the carrier);
    /// shipping a shipped order again changes nothing.
    pub async fn ship(
        &self,
        tenant: TenantId,
        order: OrderId,
        ship: &crate::ShipOrder,
    ) -> Result<OrderSummary, OrdersCallError> {
        let id = order.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["orders", &id, "ship"]))
                .json(ship),
        )
        .await
    }

    /// Marks a shipped order delivered.
    pub async fn deliver(
        &self,
        tenant: TenantId,
        order: OrderId,
        staff: platform_domain::StaffId,
    ) -> Result<OrderSummary, OrdersCallError> {
        let id = order.to_string();
        self.json(
            self.http
                .post(self.url(tenant, &["orders", &id, "deliver"]))
                .json(&crate::CancelOrder { staff_id: staff }),
        )
        .await
    }

    /// The shop's signing keys for the processor.
    pub async fn signing_keys(
        &self,
        tenant: TenantId,
    ) -> Result<crate::SigningKeys, OrdersCallError> {
        self.json(self.http.get(self.url(tenant, &["signing-keys"])))
            .await
    }

    /// Makes a new signing key; the current one stays accepted for the overlap.
    pub async fn rotate_key(
        &self,
        tenant: TenantId,
        action: &crate::KeyAction,
    ) -> Result<crate::SigningKeys, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["signing-keys", "rotate"]))
                .json(action),
        )
        .await
    }

    /// Revokes a signing key: the processor refuses it from the answer on.
    pub async fn revoke_key(
        &self,
        tenant: TenantId,
        key_id: &str,
        action: &crate::KeyAction,
    ) -> Result<crate::SigningKeys, OrdersCallError> {
        self.json(
            self.http
                .post(self.url(tenant, &["signing-keys", key_id, "revoke"]))
                .json(action),
        )
        .await
    }

    /// A page of the shop's orders.
    pub async fn list(
        &self,
        tenant: TenantId,
        query: &OrderListQuery,
    ) -> Result<OrderList, OrdersCallError> {
        let mut url = self.url(tenant, &["orders"]);
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        if !query.is_empty() {
            url.set_query(Some(&query));
        }
        self.json(self.http.get(url)).await
    }

    /// One order with the buyer's details.
    pub async fn detail(
        &self,
        tenant: TenantId,
        order: OrderId,
    ) -> Result<OrderDetail, OrdersCallError> {
        let id = order.to_string();
        self.json(self.http.get(self.url(tenant, &["orders", &id])))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls() -> rustls::ClientConfig {
        let built = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        });
        match built {
            Ok(tls) => tls,
            Err(e) => panic!("tls: {e}"),
        }
    }

    #[test]
    fn urls_are_built_from_encoded_segments() {
        let Ok(c) = OrdersClient::new("https://orders.internal:8446/", tls()) else {
            panic!("client");
        };
        let t = TenantId::random();
        assert_eq!(
            c.url(t, &["orders", "by-code", "../x?y"]).as_str(),
            format!("https://orders.internal:8446/v1/shops/{t}/orders/by-code/..%2Fx%3Fy")
        );
    }

    #[test]
    fn a_base_that_is_no_url_is_refused_at_setup() {
        assert!(matches!(
            OrdersClient::new("localhost:8446", tls()),
            Err(ClientSetupError::BaseUrl(_))
        ));
    }
}
