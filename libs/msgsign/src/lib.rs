//! Signed HTTP messages (RFC 9421) between the platform and its payment processor (O12):
//! every request a shop sends to the processor carries that shop's Ed25519 signature, and
//! every reply and webhook carries the processor's. The signature covers the method, the
//! target URI and the `Content-Digest` of the body (requests) or the status and the
//! digest (replies), with `created`, `expires`, a random `nonce`, the signer's `keyid` and
//! `alg`.
//!
//! Verification refuses, each with its own [`Refusal`]: a message without a signature, a
//! malformed one, one that does not cover the required components, an unknown or revoked
//! key, a body that does not match its digest, a bad signature, a signature that expired,
//! one dated in the future beyond a small clock skew, one whose lifetime is longer than
//! allowed, and a nonce seen before. The signature base, digest and Ed25519 come from the
//! `httpsig-hyper` crate; this crate decides what must be covered and what is fresh.
//!
//! What this crate must never do: accept a message before its body matched its digest and
//! its signature verified, or hand out a private key except as the seed the vault seals.

mod keys;
mod nonces;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use httpsig_hyper::prelude::message_component::HttpMessageComponentId;
use httpsig_hyper::prelude::{AlgorithmName, HttpSignatureParams};
use httpsig_hyper::{
    ContentDigestType, MessageSignature, MessageSignatureReq, MessageSignatureRes,
    RequestContentDigest, ResponseContentDigest,
};

pub use keys::{KeyState, KeyStore, Keypair, PublicKey};
pub use nonces::{NonceStore, Nonces};

/// Longest lifetime of a signed request (`expires - created`), seconds.
pub const REQUEST_LIFETIME_SECS: u64 = 60;
/// How far a signer's clock may run ahead of the verifier's, seconds.
pub const CLOCK_SKEW_SECS: u64 = 5;
/// How old or how far ahead a reply or webhook may be dated, seconds.
pub const REPLY_WINDOW_SECS: u64 = 300;

/// The name of the one signature in a message.
const SIGNATURE_NAME: &str = "sig1";
/// What a request's signature must cover.
const REQUEST_COMPONENTS: [&str; 3] = ["@method", "@target-uri", "content-digest"];
/// What a reply's signature must cover.
const RESPONSE_COMPONENTS: [&str; 2] = ["@status", "content-digest"];

/// Why a message was refused. The processor answers each with its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No `Signature` and `Signature-Input` headers.
    #[error("unsigned")]
    Unsigned,
    /// The signature headers cannot be read, or hold more than one signature.
    #[error("malformed signature")]
    Malformed,
    /// The signature does not cover the required components, or lacks `keyid`,
    /// `created`, `expires` or `nonce`.
    #[error("signature does not cover what it must")]
    Incomplete,
    /// No key with this id.
    #[error("unknown key")]
    UnknownKey,
    /// The key was revoked.
    #[error("revoked key")]
    RevokedKey,
    /// The body does not match its `Content-Digest`.
    #[error("content digest mismatch")]
    DigestMismatch,
    /// The signature does not verify under the key.
    #[error("bad signature")]
    BadSignature,
    /// `expires` has passed, or the message is older than the window.
    #[error("expired")]
    Expired,
    /// `created` lies in the future beyond the allowed skew.
    #[error("dated in the future")]
    FromTheFuture,
    /// `expires` lies further after `created` than allowed.
    #[error("lifetime too long")]
    LifetimeTooLong,
    /// The nonce was used before.
    #[error("replayed")]
    Replayed,
}

impl Refusal {
    /// A stable code for answers and logs (`"signature.revoked_key"`).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Unsigned => "signature.missing",
            Refusal::Malformed => "signature.malformed",
            Refusal::Incomplete => "signature.incomplete",
            Refusal::UnknownKey => "signature.unknown_key",
            Refusal::RevokedKey => "signature.revoked_key",
            Refusal::DigestMismatch => "signature.digest_mismatch",
            Refusal::BadSignature => "signature.invalid",
            Refusal::Expired => "signature.expired",
            Refusal::FromTheFuture => "signature.from_the_future",
            Refusal::LifetimeTooLong => "signature.lifetime_too_long",
            Refusal::Replayed => "signature.replayed",
        }
    }
}

/// A message could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The message or its parameters could not be built into a signature.
    #[error("signing: {0}")]
    Signing(String),
}

/// What verification found out: the message is from the holder of this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signer's key id.
    pub key_id: String,
    /// When the signer says it signed (Unix seconds).
    pub created: u64,
}

fn components(names: &[&str]) -> Result<Vec<HttpMessageComponentId>, SignError> {
    names
        .iter()
        .map(|n| {
            HttpMessageComponentId::try_from(*n).map_err(|e| SignError::Signing(e.to_string()))
        })
        .collect()
}

fn params(
    names: &[&str],
    key: &Keypair,
    now: u64,
    lifetime: u64,
) -> Result<HttpSignatureParams, SignError> {
    let mut params = HttpSignatureParams::try_new(&components(names)?)
        .map_err(|e| SignError::Signing(e.to_string()))?;
    params
        .set_created(now)
        .set_expires(now + lifetime)
        .set_random_nonce()
        .set_alg(&AlgorithmName::Ed25519)
        .set_keyid(key.key_id());
    Ok(params)
}

/// Signs a request as `key`'s holder at `now` (Unix seconds): sets `Content-Digest`
/// (SHA-256 of the body), then `Signature-Input` and `Signature` covering the method, the
/// target URI and the digest, valid for [`REQUEST_LIFETIME_SECS`].
pub async fn sign_request(
    request: Request<Bytes>,
    key: &Keypair,
    now: u64,
) -> Result<Request<Bytes>, SignError> {
    sign_request_with(
        request,
        key,
        now,
        REQUEST_LIFETIME_SECS,
        &REQUEST_COMPONENTS,
    )
    .await
}

/// Signs a webhook the processor sends: as [`sign_request`], valid for the reply window
/// ([`REPLY_WINDOW_SECS`]), verified with [`Freshness::Window`].
pub async fn sign_webhook(
    request: Request<Bytes>,
    key: &Keypair,
    now: u64,
) -> Result<Request<Bytes>, SignError> {
    sign_request_with(request, key, now, REPLY_WINDOW_SECS, &REQUEST_COMPONENTS).await
}

/// [`sign_request`] with a chosen lifetime and coverage (tests build bad signatures).
pub(crate) async fn sign_request_with(
    request: Request<Bytes>,
    key: &Keypair,
    now: u64,
    lifetime: u64,
    covered: &[&str],
) -> Result<Request<Bytes>, SignError> {
    let (parts, body) = request.into_parts();
    let digested = Request::from_parts(parts, Full::new(body))
        .set_content_digest(&ContentDigestType::Sha256)
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let (parts, body) = digested.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?
        .to_bytes();
    let mut signed = Request::from_parts(parts, Full::new(body.clone()));
    let params = params(covered, key, now, lifetime)?;
    signed
        .set_message_signature(&params, key.secret(), Some(SIGNATURE_NAME))
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let (parts, _) = signed.into_parts();
    Ok(Request::from_parts(parts, body))
}

/// Signs a reply (status and body digest) as `key`'s holder at `now`, valid for the reply
/// window.
pub async fn sign_response(
    response: Response<Bytes>,
    key: &Keypair,
    now: u64,
) -> Result<Response<Bytes>, SignError> {
    let (parts, body) = response.into_parts();
    let digested = Response::from_parts(parts, Full::new(body))
        .set_content_digest(&ContentDigestType::Sha256)
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let (parts, body) = digested.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?
        .to_bytes();
    let mut signed = Response::from_parts(parts, Full::new(body.clone()));
    let params = params(&RESPONSE_COMPONENTS, key, now, REPLY_WINDOW_SECS)?;
    signed
        .set_message_signature::<_, Full<Bytes>>(&params, key.secret(), Some(SIGNATURE_NAME), None)
        .await
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let (parts, _) = signed.into_parts();
    Ok(Response::from_parts(parts, body))
}

/// How fresh a message must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A request to the processor: `expires` at most [`REQUEST_LIFETIME_SECS`] after
    /// `created`, not passed, and `created` at most [`CLOCK_SKEW_SECS`] ahead.
    Request,
    /// A reply or webhook from the processor: `created` within [`REPLY_WINDOW_SECS`] of now,
    /// in both directions, and `expires` not passed.
    Window,
}

/// The one signature's parameters, checked for shape and freshness.
fn checked_params(
    found: Result<Vec<HttpSignatureParams>, ()>,
    required: &[&str],
    freshness: Freshness,
    now: u64,
) -> Result<HttpSignatureParams, Refusal> {
    let mut all = found.map_err(|()| Refusal::Malformed)?;
    if all.len() != 1 {
        return Err(Refusal::Malformed);
    }
    let params = all.pop().ok_or(Refusal::Malformed)?;
    let covered: Vec<String> = params
        .covered_components
        .iter()
        .map(ToString::to_string)
        .collect();
    let covers = |name: &str| covered.iter().any(|c| c == &format!("\"{name}\""));
    if !required.iter().all(|r| covers(r))
        || params.keyid.is_none()
        || params.nonce.is_none()
        || params
            .alg
            .as_deref()
            .is_some_and(|a| a != AlgorithmName::Ed25519.as_str())
    {
        return Err(Refusal::Incomplete);
    }
    let (Some(created), Some(expires)) = (params.created, params.expires) else {
        return Err(Refusal::Incomplete);
    };
    match freshness {
        Freshness::Request => {
            if created > now + CLOCK_SKEW_SECS {
                return Err(Refusal::FromTheFuture);
            }
            if expires < created || expires - created > REQUEST_LIFETIME_SECS {
                return Err(Refusal::LifetimeTooLong);
            }
            if expires < now {
                return Err(Refusal::Expired);
            }
        }
        Freshness::Window => {
            if created > now + REPLY_WINDOW_SECS {
                return Err(Refusal::FromTheFuture);
            }
            if expires < created || expires - created > REPLY_WINDOW_SECS {
                return Err(Refusal::LifetimeTooLong);
            }
            if now > created + REPLY_WINDOW_SECS || expires < now {
                return Err(Refusal::Expired);
            }
        }
    }
    Ok(params)
}

fn public_for(keys: &dyn KeyStore, key_id: &str) -> Result<PublicKey, Refusal> {
    match keys.state(key_id) {
        KeyState::Active(key) => Ok(key),
        KeyState::Revoked => Err(Refusal::RevokedKey),
        KeyState::Unknown => Err(Refusal::UnknownKey),
    }
}

/// Verifies a request signed with [`sign_request`]: the shape and freshness of its one
/// signature, its key (known, not revoked), its body against `Content-Digest`, the
/// signature itself, and last that its nonce is new. Returns the signer's key id.
pub async fn verify_request(
    request: &Request<Bytes>,
    keys: &dyn KeyStore,
    nonces: &dyn NonceStore,
    freshness: Freshness,
    now: u64,
) -> Result<Verified, Refusal> {
    let with_body = Request::from_parts(request_head(request), Full::new(request.body().clone()));
    if !with_body.has_message_signature() {
        return Err(Refusal::Unsigned);
    }
    let found = with_body
        .get_signature_params()
        .map(|m| m.into_values().collect())
        .map_err(|_| ());
    let params = checked_params(found, &REQUEST_COMPONENTS, freshness, now)?;
    let key_id = params.keyid.clone().unwrap_or_default();
    let public = public_for(keys, &key_id)?;
    let digested = with_body
        .verify_content_digest()
        .await
        .map_err(|_| Refusal::DigestMismatch)?;
    digested
        .verify_message_signature(public.inner(), Some(&key_id))
        .await
        .map_err(|_| Refusal::BadSignature)?;
    remember(nonces, &key_id, &params)?;
    Ok(Verified {
        key_id,
        created: params.created.unwrap_or_default(),
    })
}

/// Verifies a reply signed with [`sign_response`], as [`verify_request`] does.
pub async fn verify_response(
    response: &Response<Bytes>,
    keys: &dyn KeyStore,
    nonces: &dyn NonceStore,
    now: u64,
) -> Result<Verified, Refusal> {
    let mut head = Response::new(());
    *head.status_mut() = response.status();
    *head.headers_mut() = response.headers().clone();
    let (head, ()) = head.into_parts();
    let with_body = Response::from_parts(head, Full::new(response.body().clone()));
    if !with_body.has_message_signature() {
        return Err(Refusal::Unsigned);
    }
    let found = with_body
        .get_signature_params()
        .map(|m| m.into_values().collect())
        .map_err(|_| ());
    let params = checked_params(found, &RESPONSE_COMPONENTS, Freshness::Window, now)?;
    let key_id = params.keyid.clone().unwrap_or_default();
    let public = public_for(keys, &key_id)?;
    let digested = with_body
        .verify_content_digest()
        .await
        .map_err(|_| Refusal::DigestMismatch)?;
    digested
        .verify_message_signature::<_, Full<Bytes>>(public.inner(), Some(&key_id), None)
        .await
        .map_err(|_| Refusal::BadSignature)?;
    remember(nonces, &key_id, &params)?;
    Ok(Verified {
        key_id,
        created: params.created.unwrap_or_default(),
    })
}

fn request_head(request: &Request<Bytes>) -> http::request::Parts {
    let mut head = Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.version_mut() = request.version();
    *head.headers_mut() = request.headers().clone();
    head.into_parts().0
}

fn remember(
    nonces: &dyn NonceStore,
    key_id: &str,
    params: &HttpSignatureParams,
) -> Result<(), Refusal> {
    let nonce = params.nonce.as_deref().unwrap_or_default();
    let keep_until = params
        .expires
        .unwrap_or_default()
        .max(params.created.unwrap_or_default() + REPLY_WINDOW_SECS);
    if nonces.first_use(key_id, nonce, keep_until) {
        Ok(())
    } else {
        Err(Refusal::Replayed)
    }
}

#[cfg(test)]
mod tests;
