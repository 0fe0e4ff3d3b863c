//! The payment processor, behind a trait: the one boundary a real provider's adapter
//! implements. [`SignedProcessor`] speaks the processor API of
//! `libs/processor-api` (the simulator under `infra/`), signing every request with the
//! shop's key (RFC 9421, O12) and verifying every answer and webhook with the processor's
//! keys, which it reads from the processor over TLS pinned to the processor's CA.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use platform_msgsign::{
    Freshness, KeyState, KeyStore, Keypair, NonceStore, Nonces, PublicKey, Refusal,
};
use platform_processor_api::{
    Event, KeySet, NewPayment, NewRefund, Payment, Problem, ProcessorKeys, Refund, paths,
};
use platform_tenancy::TenantId;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call to the processor failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// Not reachable, timed out, or answered a server error.
    #[error("processor unreachable: {0}")]
    Unreachable(String),
    /// It refused the request with a coded problem.
    #[error("processor refused: {code}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Its code (`signature.revoked_key`, `payment.not_captured`).
        code: String,
    },
    /// Its answer or webhook did not verify, or did not parse.
    #[error("processor message not trusted: {0}")]
    Untrusted(String),
    /// Signing our request failed.
    #[error("signing: {0}")]
    Signing(String),
}

impl ProcessorError {
    /// Whether the processor said it does not know the signing key (its state was lost
    /// or never published): publishing the key set again is the cure.
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, ProcessorError::Refused { code, .. } if code == Refusal::UnknownKey.code())
    }

    /// Whether the processor refused the signing key as revoked (another replica may
    /// have revoked it: read the shop's keys again).
    pub fn is_revoked_key(&self) -> bool {
        matches!(self, ProcessorError::Refused { code, .. } if code == Refusal::RevokedKey.code())
    }
}

/// What the platform needs of a card processor.
#[async_trait]
pub trait PaymentProcessor: Send + Sync {
    /// Replaces the shop's published key set (and webhook address).
    async fn publish(&self, merchant: TenantId, set: &KeySet) -> Result<(), ProcessorError>;
    /// Opens (or finds, by reference) a payment, signed with `signer`.
    async fn create_payment(
        &self,
        signer: &Keypair,
        new: &NewPayment,
    ) -> Result<Payment, ProcessorError>;
    /// Reads a payment, signed with `signer`.
    async fn payment(&self, signer: &Keypair, id: &str) -> Result<Payment, ProcessorError>;
    /// Refunds part or all of a payment, signed with `signer`; the same reference refunds
    /// once.
    async fn refund(
        &self,
        signer: &Keypair,
        id: &str,
        new: &NewRefund,
    ) -> Result<Refund, ProcessorError>;
    /// Verifies a webhook as received (its URI the full address it was sent to) and
    /// reads its event.
    async fn verify_webhook(&self, request: http::Request<Bytes>) -> Result<Event, ProcessorError>;
}

/// The processor's public keys, as last read.
#[derive(Default)]
struct ProcessorKeyCache {
    keys: HashMap<String, PublicKey>,
    read_at: Option<Instant>,
}

impl KeyStore for ProcessorKeyCache {
    fn state(&self, key_id: &str) -> KeyState {
        match self.keys.get(key_id) {
            Some(k) => KeyState::Active(k.clone()),
            None => KeyState::Unknown,
        }
    }
}

/// How often at most the processor's keys are read again when a message names a key we
/// do not know.
const KEY_REFRESH: Duration = Duration::from_secs(10);

/// The processor API of `libs/processor-api`, over HTTPS.
pub struct SignedProcessor {
    base: String,
    http: reqwest::Client,
    partner: Keypair,
    keys: Mutex<ProcessorKeyCache>,
    nonces: Nonces,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SignedProcessor {
    /// A client of the processor at `base`, trusting only `ca` for its certificate, that
    /// publishes key sets with `partner`.
    pub fn new(base: &str, ca: &Path, partner: Keypair) -> Result<Self, ProcessorError> {
        let tls = platform_web::tls::client_config(ca, None)
            .map_err(|e| ProcessorError::Unreachable(e.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none());
        // Names under `.localhost` are the loopback (RFC 6761 §6.3), as browsers treat
        // them; the system resolver may not know them (the dev processor is
        // `pay.localhost`).
        if let Some(host) = base
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.host().map(str::to_owned))
            .filter(|h| h.ends_with(".localhost"))
        {
            builder = builder.resolve(&host, std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        let http = builder
            .build()
            .map_err(|e| ProcessorError::Unreachable(e.to_string()))?;
        Ok(SignedProcessor {
            base: base.trim_end_matches('/').to_owned(),
            http,
            partner,
            keys: Mutex::new(ProcessorKeyCache::default()),
            nonces: Nonces::default(),
        })
    }

    /// Reads the processor's keys again, unless that was done a moment ago.
    async fn refresh_keys(&self, force: bool) -> Result<(), ProcessorError> {
        {
            let cache = self.keys.lock().map_err(|_| poisoned())?;
            match cache.read_at {
                Some(_) if !force => return Ok(()),
                Some(at) if at.elapsed() < KEY_REFRESH => return Ok(()),
                _ => {}
            }
        }
        let url = format!("{}{}", self.base, paths::PROCESSOR_KEYS);
        let found: ProcessorKeys = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| ProcessorError::Unreachable(e.to_string()))?
            .json()
            .await
            .map_err(|e| ProcessorError::Untrusted(e.to_string()))?;
        let mut keys = HashMap::new();
        for k in found.keys {
            let public = PublicKey::from_base64(&k.public)
                .map_err(|_| ProcessorError::Untrusted("a processor key is malformed".into()))?;
            keys.insert(k.kid, public);
        }
        let mut cache = self.keys.lock().map_err(|_| poisoned())?;
        cache.keys = keys;
        cache.read_at = Some(Instant::now());
        Ok(())
    }

    /// Verifies a signed message against the processor's keys, reading them again once
    /// when the message names a key we have not seen.
    async fn verify<F, Fut>(&self, check: F) -> Result<(), ProcessorError>
    where
        F: Fn(ProcessorKeyCache) -> Fut,
        Fut: Future<Output = Result<(), Refusal>>,
    {
        self.refresh_keys(false).await?;
        for attempt in 0..2 {
            let snapshot = {
                let cache = self.keys.lock().map_err(|_| poisoned())?;
                ProcessorKeyCache {
                    keys: cache.keys.clone(),
                    read_at: cache.read_at,
                }
            };
            match check(snapshot).await {
                Ok(()) => return Ok(()),
                Err(Refusal::UnknownKey) if attempt == 0 => self.refresh_keys(true).await?,
                Err(r) => return Err(ProcessorError::Untrusted(r.code().to_owned())),
            }
        }
        Err(ProcessorError::Untrusted(
            Refusal::UnknownKey.code().to_owned(),
        ))
    }

    /// Sends a request signed with `signer` and returns the verified answer's body.
    async fn call<T: DeserializeOwned>(
        &self,
        signer: &Keypair,
        method: http::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, ProcessorError> {
        let url = format!("{}{path}", self.base);
        let bytes = match body {
            Some(b) => Bytes::from(
                serde_json::to_vec(b).map_err(|e| ProcessorError::Signing(e.to_string()))?,
            ),
            None => Bytes::new(),
        };
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(&url)
            .body(bytes)
            .map_err(|e| ProcessorError::Signing(e.to_string()))?;
        if body.is_some() {
            request.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        let signed = platform_msgsign::sign_request(request, signer, now())
            .await
            .map_err(|e| ProcessorError::Signing(e.to_string()))?;
        let (parts, body) = signed.into_parts();
        let mut out = self.http.request(method, &url).body(body);
        for (name, value) in &parts.headers {
            out = out.header(name, value);
        }
        let answer = out
            .send()
            .await
            .map_err(|e| ProcessorError::Unreachable(e.to_string()))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| ProcessorError::Unreachable(e.to_string()))?;
        if status.is_server_error() {
            return Err(ProcessorError::Unreachable(format!("status {status}")));
        }
        let mut response = http::Response::new(bytes.clone());
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        self.verify(|keys| {
            let response = &response;
            async move {
                platform_msgsign::verify_response(response, &keys, &self.nonces, now())
                    .await
                    .map(|_| ())
            }
        })
        .await?;
        if !status.is_success() {
            let problem: Problem = serde_json::from_slice(&bytes)
                .map_err(|e| ProcessorError::Untrusted(e.to_string()))?;
            return Err(ProcessorError::Refused {
                status: status.as_u16(),
                code: problem.code,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ProcessorError::Untrusted(e.to_string()))
    }
}

fn poisoned() -> ProcessorError {
    ProcessorError::Untrusted("key cache poisoned".into())
}

#[async_trait]
impl PaymentProcessor for SignedProcessor {
    async fn publish(&self, merchant: TenantId, set: &KeySet) -> Result<(), ProcessorError> {
        let _: serde_json::Value = self
            .call(
                &self.partner,
                http::Method::PUT,
                &paths::merchant_keys(&merchant.to_string()),
                Some(set),
            )
            .await?;
        Ok(())
    }

    async fn create_payment(
        &self,
        signer: &Keypair,
        new: &NewPayment,
    ) -> Result<Payment, ProcessorError> {
        self.call(signer, http::Method::POST, paths::PAYMENTS, Some(new))
            .await
    }

    async fn payment(&self, signer: &Keypair, id: &str) -> Result<Payment, ProcessorError> {
        self.call(signer, http::Method::GET, &paths::payment(id), None::<&()>)
            .await
    }

    async fn refund(
        &self,
        signer: &Keypair,
        id: &str,
        new: &NewRefund,
    ) -> Result<Refund, ProcessorError> {
        self.call(signer, http::Method::POST, &paths::refunds(id), Some(new))
            .await
    }

    async fn verify_webhook(&self, request: http::Request<Bytes>) -> Result<Event, ProcessorError> {
        let request = Arc::new(request);
        self.verify(|keys| {
            let request = request.clone();
            async move {
                platform_msgsign::verify_request(
                    &request,
                    &keys,
                    &self.nonces as &dyn NonceStore,
                    Freshness::Window,
                    now(),
                )
                .await
                .map(|_| ())
            }
        })
        .await?;
        serde_json::from_slice(request.body()).map_err(|e| ProcessorError::Untrusted(e.to_string()))
    }
}
