//! The processor's API: key sets (partner-signed), payments and refunds (merchant-signed),
//! its own public keys. Every answer is signed with the processor's key.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use bytes::Bytes;
use http::StatusCode;
use platform_msgsign::{Freshness, KeyStore, verify_request};
use platform_processor_api::{
    KeySet, NewPayment, NewRefund, Problem, ProcessorKey, ProcessorKeys, paths,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::state::{MerchantKeys, PartnerKeys, Sim, SimError, now};

/// The largest request body the API reads.
const BODY_LIMIT: usize = 64 * 1024;

pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(paths::PROCESSOR_KEYS, get(processor_keys))
        .route("/v1/merchants/{merchant}/keys", put(publish_keys))
        .route(paths::PAYMENTS, post(create_payment))
        .route("/v1/payments/{id}", get(read_payment))
        .route("/v1/payments/{id}/refunds", post(refund))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(sim)
}

/// An answer signed with the processor's key (status and body digest).
pub(crate) async fn signed(sim: &Sim, status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(b) => Bytes::from(b),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut response = http::Response::new(bytes);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let now = u64::try_from(now()).unwrap_or_default();
    match platform_msgsign::sign_response(response, sim.key(), now).await {
        Ok(signed) => signed.map(Body::from),
        Err(e) => {
            tracing::error!(error = %e, "signing an answer failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn problem(sim: &Sim, e: SimError) -> Response {
    signed(
        sim,
        e.status,
        &Problem {
            code: e.code.to_owned(),
            message: e.message,
        },
    )
    .await
}

/// Reads a request whose signature must verify under `keys`: the target is rebuilt from
/// the processor's public origin, so a request signed for another origin fails.
async fn verified(
    sim: &Sim,
    request: Request,
    keys: &dyn KeyStore,
) -> Result<(String, Bytes), SimError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        SimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            "The body is too large.",
        )
    })?;
    let target = format!(
        "{}{}",
        sim.public_url(),
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let uri: http::Uri = target.parse().map_err(|_| {
        SimError::new(
            StatusCode::BAD_REQUEST,
            "request.bad_target",
            "The target is not valid.",
        )
    })?;
    let mut rebuilt = http::Request::new(body.clone());
    *rebuilt.method_mut() = parts.method;
    *rebuilt.uri_mut() = uri;
    *rebuilt.headers_mut() = parts.headers;
    let now = u64::try_from(now()).unwrap_or_default();
    let found = verify_request(&rebuilt, keys, &sim.nonces, Freshness::Request, now)
        .await
        .map_err(|r| SimError::new(StatusCode::UNAUTHORIZED, r.code(), r.to_string()))?;
    Ok((found.key_id, body))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, SimError> {
    serde_json::from_slice(body).map_err(|e| {
        SimError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid_body",
            format!("The body is not what this call takes: {e}"),
        )
    })
}

/// The merchant that signed (by its key), and the body.
async fn merchant(sim: &Sim, request: Request) -> Result<(String, Bytes), SimError> {
    let (key_id, body) = verified(sim, request, &MerchantKeys(sim)).await?;
    let merchant = sim.merchant_of(&key_id).ok_or_else(|| {
        SimError::new(
            StatusCode::UNAUTHORIZED,
            "signature.unknown_key",
            "unknown key",
        )
    })?;
    Ok((merchant, body))
}

async fn processor_keys(State(sim): State<Arc<Sim>>) -> Response {
    let (kid, public) = sim.public_key();
    let keys = ProcessorKeys {
        keys: vec![ProcessorKey {
            kid,
            public: public.to_base64(),
        }],
    };
    signed(&sim, StatusCode::OK, &keys).await
}

async fn publish_keys(
    State(sim): State<Arc<Sim>>,
    Path(merchant): Path<String>,
    request: Request,
) -> Response {
    let done = async {
        let (_, body) = verified(&sim, request, &PartnerKeys(&sim)).await?;
        let set: KeySet = parse(&body)?;
        sim.publish(&merchant, set)
    };
    match done.await {
        Ok(()) => {
            signed(
                &sim,
                StatusCode::OK,
                &serde_json::json!({ "published": true }),
            )
            .await
        }
        Err(e) => problem(&sim, e).await,
    }
}

async fn create_payment(State(sim): State<Arc<Sim>>, request: Request) -> Response {
    let done = async {
        let (merchant, body) = merchant(&sim, request).await?;
        let new: NewPayment = parse(&body)?;
        sim.create_payment(&merchant, new)
    };
    match done.await {
        Ok((payment, true)) => signed(&sim, StatusCode::CREATED, &payment).await,
        Ok((payment, false)) => signed(&sim, StatusCode::OK, &payment).await,
        Err(e) => problem(&sim, e).await,
    }
}

async fn read_payment(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let done = async {
        let (merchant, _) = merchant(&sim, request).await?;
        sim.payment(&merchant, &id)
    };
    match done.await {
        Ok(payment) => signed(&sim, StatusCode::OK, &payment).await,
        Err(e) => problem(&sim, e).await,
    }
}

async fn refund(State(sim): State<Arc<Sim>>, Path(id): Path<String>, request: Request) -> Response {
    let done = async {
        let (merchant, body) = merchant(&sim, request).await?;
        let new: NewRefund = parse(&body)?;
        sim.refund(&merchant, &id, &new)
    };
    match done.await {
        Ok((refund, event)) => {
            let status = if event.is_some() {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            if let Some(event) = event {
                sim.notify(event);
            }
            signed(&sim, status, &refund).await
        }
        Err(e) => problem(&sim, e).await,
    }
}
