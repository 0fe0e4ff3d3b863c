//! carrier-sim: a stand-in for a parcel carrier, a third party like the payment
//! processor: its own origin (`https://localhost:8449` in dev), its own bearer token for
//! the platform. It books shipments from the fixed delivery shape of
//! `libs/carrier-api` (O6), refusing any field beyond it, records exactly what it
//! received (the tests assert the key set) and serves a tracking page.
//!
//! What this simulator must never do: accept a shipment with a field the contract does
//! not name, or log a recipient's details.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::{DOCTYPE, html};
use platform_carrier_api::{NewShipment, Problem, Shipment, paths};
use platform_web::{BoundServer, ConfigError, Env, ServerConfig, StartError};
use subtle::ConstantTimeEq;

/// The environment prefix of the simulator's variables.
pub const ENV_PREFIX: &str = "APP_CARRIER";

/// The carrier's name as buyers see it.
pub const CARRIER_NAME: &str = "Parcelsim";

/// Everything the simulator needs to start.
pub struct Config {
    /// Its HTTPS listener and certificate.
    pub server: ServerConfig,
    /// The token the platform presents (`Authorization: Bearer …`).
    pub token: String,
    /// Whether a phone number is required for delivery.
    pub requires_phone: bool,
}

impl Config {
    /// Reads `APP_CARRIER_*`: the listener, `TOKEN` and `REQUIRES_PHONE` (false).
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::new(ENV_PREFIX);
        Ok(Config {
            server: ServerConfig::from_env(&env)?,
            token: env.required("TOKEN")?,
            requires_phone: env.parse_or("REQUIRES_PHONE", false)?,
        })
    }
}

/// A shipment as received: the raw JSON body, kept to show exactly what arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// The shipment.
    pub shipment: Shipment,
    /// The body as sent.
    pub body: serde_json::Value,
}

struct Carrier {
    token: String,
    requires_phone: bool,
    public_url: String,
    received: Mutex<Vec<Received>>,
}

/// The simulator, bound.
pub struct Application {
    server: BoundServer,
    carrier: Arc<Carrier>,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BuildError(#[from] StartError);

/// A handle on what the carrier received.
#[derive(Clone)]
pub struct Inbox(Arc<Carrier>);

impl Inbox {
    /// Every shipment booked so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.0
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

impl Application {
    /// Binds the listener.
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let server = BoundServer::bind(&config.server)?;
        let public_url = format!("https://localhost:{}", server.https_port());
        Ok(Application {
            carrier: Arc::new(Carrier {
                token: config.token,
                requires_phone: config.requires_phone,
                public_url,
                received: Mutex::new(Vec::new()),
            }),
            server,
        })
    }

    /// The bound port.
    pub fn https_port(&self) -> u16 {
        self.server.https_port()
    }

    /// What the carrier received.
    pub fn inbox(&self) -> Inbox {
        Inbox(self.carrier.clone())
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        tracing::info!(
            https_port = self.https_port(),
            "carrier simulator listening"
        );
        let router = Router::new()
            .route(paths::SHIPMENTS, post(book))
            .route("/track/{number}", get(track))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(self.carrier);
        self.server.serve(router, shutdown).await
    }
}

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(Problem {
            code: code.to_owned(),
            message: message.to_owned(),
        }),
    )
        .into_response()
}

async fn book(State(carrier): State<Arc<Carrier>>, headers: HeaderMap, body: String) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(token.as_bytes().ct_eq(carrier.token.as_bytes())) {
        return problem(StatusCode::UNAUTHORIZED, "auth.invalid", "Unknown token.");
    }
    let Ok(raw) = serde_json::from_str::<serde_json::Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "shipment.invalid", "Not JSON.");
    };
    let new: NewShipment = match serde_json::from_value(raw.clone()) {
        Ok(n) => n,
        Err(_) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "shipment.invalid",
                "The shipment has fields this carrier does not take, or lacks some.",
            );
        }
    };
    if carrier.requires_phone && new.recipient.phone.as_deref().is_none_or(str::is_empty) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "shipment.phone_required",
            "This carrier needs a phone number to deliver.",
        );
    }
    let mut bytes = [0u8; 6];
    rand::fill(&mut bytes);
    let number: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    let shipment = Shipment {
        id: format!("shp_{}", number.to_ascii_lowercase()),
        carrier: CARRIER_NAME.to_owned(),
        tracking_url: format!("{}/track/PS{number}", carrier.public_url),
        tracking_number: format!("PS{number}"),
    };
    if let Ok(mut received) = carrier.received.lock() {
        received.push(Received {
            shipment: shipment.clone(),
            body: raw,
        });
    }
    tracing::info!(reference = %new.reference, "shipment booked");
    (StatusCode::CREATED, Json(shipment)).into_response()
}

async fn track(State(carrier): State<Arc<Carrier>>, Path(number): Path<String>) -> Response {
    let known = carrier
        .received
        .lock()
        .map(|r| r.iter().any(|s| s.shipment.tracking_number == number))
        .unwrap_or(false);
    if !known {
        return (StatusCode::NOT_FOUND, "No such parcel.").into_response();
    }
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Parcel " (number) " — " (CARRIER_NAME) } }
                body { main { h1 { "Parcel " (number) } p { "In transit with " (CARRIER_NAME) "." } } }
            }
        }
        .into_string(),
    )
    .into_response()
}
