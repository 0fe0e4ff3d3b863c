//! Every refusal, proved against a signature this crate made (O12).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use super::*;

/// The real clock: the signature crate also refuses what its own clock sees expired.
static NOW: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap()
});

struct Keys(HashMap<String, KeyState>);

impl KeyStore for Keys {
    fn state(&self, key_id: &str) -> KeyState {
        self.0.get(key_id).cloned().unwrap_or(KeyState::Unknown)
    }
}

fn keys(pairs: &[(&Keypair, bool)]) -> Keys {
    Keys(
        pairs
            .iter()
            .map(|(k, revoked)| {
                let state = if *revoked {
                    KeyState::Revoked
                } else {
                    KeyState::Active(k.public())
                };
                (k.key_id().to_owned(), state)
            })
            .collect(),
    )
}

fn request(body: &str) -> Request<Bytes> {
    Request::builder()
        .method("POST")
        .uri("https://pay.localhost:8446/v1/payments")
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

async fn check(req: &Request<Bytes>, keys: &Keys, now: u64) -> Result<Verified, Refusal> {
    verify_request(req, keys, &Nonces::default(), Freshness::Request, now).await
}

#[tokio::test]
async fn o12_a_signed_request_verifies_and_names_its_key() {
    let shop = Keypair::generate("shop-a.1");
    let signed = sign_request(request("{\"amount\":4470}"), &shop, *NOW)
        .await
        .unwrap();
    assert!(signed.headers().contains_key("content-digest"));
    let input = signed.headers()["signature-input"].to_str().unwrap();
    for part in [
        "\"@method\"",
        "\"@target-uri\"",
        "\"content-digest\"",
        "created=",
        "expires=",
        "nonce=",
        "keyid=\"shop-a.1\"",
        "alg=\"ed25519\"",
    ] {
        assert!(input.contains(part), "{part} in {input}");
    }
    let verified = check(&signed, &keys(&[(&shop, false)]), *NOW + 10)
        .await
        .unwrap();
    assert_eq!(
        verified,
        Verified {
            key_id: "shop-a.1".into(),
            created: *NOW
        }
    );
    // The seed is what the vault keeps; the same seed signs the same way.
    let again = Keypair::from_seed("shop-a.1", shop.seed()).unwrap();
    assert_eq!(again.public().to_base64(), shop.public().to_base64());
    assert_eq!(
        PublicKey::from_base64(&shop.public().to_base64())
            .unwrap()
            .to_base64(),
        shop.public().to_base64()
    );
}

#[tokio::test]
async fn o12_unsigned_unknown_revoked_and_forged_requests_are_refused() {
    let shop = Keypair::generate("shop-a.1");
    let store = keys(&[(&shop, false)]);
    assert_eq!(
        check(&request("{}"), &store, *NOW).await,
        Err(Refusal::Unsigned)
    );

    let signed = sign_request(request("{}"), &shop, *NOW).await.unwrap();
    assert_eq!(
        check(&signed, &keys(&[]), *NOW).await,
        Err(Refusal::UnknownKey)
    );
    assert_eq!(
        check(&signed, &keys(&[(&shop, true)]), *NOW).await,
        Err(Refusal::RevokedKey)
    );

    // Someone else's key under the shop's key id.
    let forger = Keypair::generate("shop-a.1");
    let forged = sign_request(request("{}"), &forger, *NOW).await.unwrap();
    assert_eq!(
        check(&forged, &store, *NOW).await,
        Err(Refusal::BadSignature)
    );

    // A body changed on the way no longer matches its digest; a digest changed with it
    // no longer matches the signature; another method or URI breaks the signature too.
    let (parts, _) = signed.clone().into_parts();
    let tampered = Request::from_parts(parts, Bytes::from_static(b"{\"amount\":1}"));
    assert_eq!(
        check(&tampered, &store, *NOW).await,
        Err(Refusal::DigestMismatch)
    );
    let resigned_body = sign_request(request("{\"amount\":1}"), &forger, *NOW)
        .await
        .unwrap();
    let (mut parts, body) = signed.clone().into_parts();
    parts.headers.insert(
        "content-digest",
        resigned_body.headers()["content-digest"].clone(),
    );
    assert_eq!(
        check(&Request::from_parts(parts, body), &store, *NOW)
            .await
            .err()
            .map(|r| r == Refusal::DigestMismatch || r == Refusal::BadSignature),
        Some(true)
    );
    let (mut parts, body) = signed.clone().into_parts();
    parts.uri = "https://pay.localhost:8446/v1/refunds".parse().unwrap();
    assert_eq!(
        check(&Request::from_parts(parts, body), &store, *NOW).await,
        Err(Refusal::BadSignature)
    );

    // Signature headers that cannot be read.
    let (mut parts, body) = signed.into_parts();
    parts
        .headers
        .insert("signature-input", "sig1=nonsense".parse().unwrap());
    assert!(matches!(
        check(&Request::from_parts(parts, body), &store, *NOW).await,
        Err(Refusal::Malformed | Refusal::Incomplete)
    ));
}

#[tokio::test]
async fn o12_stale_future_long_lived_and_replayed_requests_are_refused() {
    let shop = Keypair::generate("shop-a.1");
    let store = keys(&[(&shop, false)]);
    let old = sign_request(request("{}"), &shop, *NOW - 61).await.unwrap();
    assert_eq!(check(&old, &store, *NOW).await, Err(Refusal::Expired));
    let future = sign_request(request("{}"), &shop, *NOW + CLOCK_SKEW_SECS + 1)
        .await
        .unwrap();
    assert_eq!(
        check(&future, &store, *NOW).await,
        Err(Refusal::FromTheFuture)
    );
    let skewed = sign_request(request("{}"), &shop, *NOW + CLOCK_SKEW_SECS)
        .await
        .unwrap();
    assert!(
        check(&skewed, &store, *NOW).await.is_ok(),
        "a clock a little ahead is fine"
    );
    let long = sign_request_with(request("{}"), &shop, *NOW, 600, &REQUEST_COMPONENTS)
        .await
        .unwrap();
    assert_eq!(
        check(&long, &store, *NOW).await,
        Err(Refusal::LifetimeTooLong)
    );
    let partial = sign_request_with(
        request("{}"),
        &shop,
        *NOW,
        60,
        &["@method", "content-digest"],
    )
    .await
    .unwrap();
    assert_eq!(
        check(&partial, &store, *NOW).await,
        Err(Refusal::Incomplete)
    );

    let once = sign_request(request("{}"), &shop, *NOW).await.unwrap();
    let nonces = Nonces::default();
    assert!(
        verify_request(&once, &store, &nonces, Freshness::Request, *NOW)
            .await
            .is_ok()
    );
    assert_eq!(
        verify_request(&once, &store, &nonces, Freshness::Request, *NOW + 1).await,
        Err(Refusal::Replayed)
    );
}

#[tokio::test]
async fn o12_replies_are_signed_and_checked_within_five_minutes_both_ways() {
    let processor = Keypair::generate("processor.1");
    let store = keys(&[(&processor, false)]);
    let reply = || {
        Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .body(Bytes::from_static(b"{\"payment\":\"p_1\"}"))
            .unwrap()
    };
    let signed = sign_response(reply(), &processor, *NOW).await.unwrap();
    let nonces = Nonces::default();
    assert!(
        verify_response(&signed, &store, &nonces, *NOW + 299)
            .await
            .is_ok()
    );
    assert_eq!(
        verify_response(&signed, &store, &Nonces::default(), *NOW + 301).await,
        Err(Refusal::Expired)
    );
    let ahead = sign_response(reply(), &processor, *NOW + 301)
        .await
        .unwrap();
    assert_eq!(
        verify_response(&ahead, &store, &Nonces::default(), *NOW).await,
        Err(Refusal::FromTheFuture)
    );
    let (mut parts, body) = signed.clone().into_parts();
    parts.status = http::StatusCode::OK;
    assert_eq!(
        verify_response(
            &Response::from_parts(parts, body),
            &store,
            &Nonces::default(),
            *NOW
        )
        .await,
        Err(Refusal::BadSignature)
    );
    assert_eq!(
        verify_response(&reply(), &store, &Nonces::default(), *NOW).await,
        Err(Refusal::Unsigned)
    );
    assert_eq!(
        verify_response(&signed, &store, &nonces, *NOW).await,
        Err(Refusal::Replayed)
    );

    // A webhook is a request from the processor, held to the same window.
    let hook = sign_webhook(request("{\"event\":\"evt_1\"}"), &processor, *NOW - 250)
        .await
        .unwrap();
    assert!(
        verify_request(&hook, &store, &Nonces::default(), Freshness::Window, *NOW)
            .await
            .is_ok()
    );
    let late = sign_webhook(request("{\"event\":\"evt_1\"}"), &processor, *NOW - 301)
        .await
        .unwrap();
    assert_eq!(
        verify_request(&late, &store, &Nonces::default(), Freshness::Window, *NOW).await,
        Err(Refusal::Expired)
    );
}

#[test]
fn refusal_codes_are_stable_and_distinct() {
    let all = [
        Refusal::Unsigned,
        Refusal::Malformed,
        Refusal::Incomplete,
        Refusal::UnknownKey,
        Refusal::RevokedKey,
        Refusal::DigestMismatch,
        Refusal::BadSignature,
        Refusal::Expired,
        Refusal::FromTheFuture,
        Refusal::LifetimeTooLong,
        Refusal::Replayed,
    ];
    let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
    assert_eq!(codes.len(), all.len());
    assert!(codes.iter().all(|c| c.starts_with("signature.")));
}
