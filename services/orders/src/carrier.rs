//! The carrier, behind a trait (O6): what a real carrier's adapter implements. A shipment
//! carries the fixed delivery shape of `libs/carrier-api` and nothing more.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use platform_carrier_api::{NewShipment, Problem, Shipment, paths};
use secrecy::{ExposeSecret, SecretString};

/// Why booking a shipment failed.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    /// Not reachable, or it answered a server error.
    #[error("carrier unreachable: {0}")]
    Unreachable(String),
    /// It refused the shipment.
    #[error("carrier refused: {0}")]
    Refused(String),
}

/// What the platform needs of a carrier.
#[async_trait]
pub trait CarrierAdapter: Send + Sync {
    /// Whether it needs a phone number to deliver.
    fn requires_phone(&self) -> bool;
    /// Books a shipment.
    async fn book(&self, shipment: &NewShipment) -> Result<Shipment, CarrierError>;
}

/// The carrier API of `libs/carrier-api` over HTTPS with a bearer token.
pub struct HttpCarrier {
    base: String,
    token: SecretString,
    requires_phone: bool,
    http: reqwest::Client,
}

impl HttpCarrier {
    /// A client of the carrier at `base`, trusting only `ca` for its certificate.
    pub fn new(
        base: &str,
        ca: &Path,
        token: SecretString,
        requires_phone: bool,
    ) -> Result<Self, CarrierError> {
        let tls = platform_web::tls::client_config(ca, None)
            .map_err(|e| CarrierError::Unreachable(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CarrierError::Unreachable(e.to_string()))?;
        Ok(HttpCarrier {
            base: base.trim_end_matches('/').to_owned(),
            token,
            requires_phone,
            http,
        })
    }
}

#[async_trait]
impl CarrierAdapter for HttpCarrier {
    fn requires_phone(&self) -> bool {
        self.requires_phone
    }

    async fn book(&self, shipment: &NewShipment) -> Result<Shipment, CarrierError> {
        let res = self
            .http
            .post(format!("{}{}", self.base, paths::SHIPMENTS))
            .bearer_auth(self.token.expose_secret())
            .json(shipment)
            .send()
            .await
            .map_err(|e| CarrierError::Unreachable(e.to_string()))?;
        let status = res.status();
        if status.is_server_error() {
            return Err(CarrierError::Unreachable(format!("status {status}")));
        }
        if !status.is_success() {
            let problem: Problem = res
                .json()
                .await
                .map_err(|e| CarrierError::Refused(e.to_string()))?;
            return Err(CarrierError::Refused(problem.code));
        }
        res.json()
            .await
            .map_err(|e| CarrierError::Unreachable(e.to_string()))
    }
}
