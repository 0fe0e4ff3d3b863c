//! Idempotency keys as the IETF httpapi `Idempotency-Key` draft describes them: a key the
//! client chooses per operation, and a fingerprint of the request it was first used with.

use platform_orders_api::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::OrdersError;

/// Hours a finished key is kept (and replays its answer) at least.
pub const KEEP_HOURS: i32 = 72;

/// Seconds a request may hold its key before another request with the same key and body
/// may take it over (the first one died).
pub const LEASE_SECS: i32 = 30;

/// A key as sent in the `Idempotency-Key` header: 1..=255 printable ASCII characters.
/// The draft sends it as a structured-field string (`"…"`); a bare token is accepted too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses the header value, if any.
    pub fn parse(header: Option<&[u8]>) -> Result<Self, OrdersError> {
        let Some(raw) = header else {
            return Err(OrdersError::refused(
                ErrorCode::IdempotencyKeyMissing,
                "Placing an order needs an Idempotency-Key header.",
            ));
        };
        let text = std::str::from_utf8(raw).unwrap_or_default();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| (0x21..=0x7e).contains(&b))
        {
            return Err(OrdersError::refused(
                ErrorCode::IdempotencyKeyInvalid,
                "An Idempotency-Key is 1 to 255 printable ASCII characters.",
            ));
        }
        Ok(IdempotencyKey(text.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fingerprint of a request body: SHA-256 of its JSON with object keys sorted and no
/// insignificant white space, so the same document hashes the same however it was spaced
/// or ordered.
pub fn fingerprint(body: &serde_json::Value) -> [u8; 32] {
    // serde_json's map keeps keys sorted (no `preserve_order`), so this is canonical.
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    Sha256::digest(&canonical).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(matches!(
            IdempotencyKey::parse(None),
            Err(OrdersError::Refused(r)) if r.code == ErrorCode::IdempotencyKeyMissing
        ));
        assert_eq!(
            IdempotencyKey::parse(Some(b"\"8e03978e-40d5\""))
                .unwrap()
                .as_str(),
            "8e03978e-40d5"
        );
        for bad in [&b""[..], b"\"\"", b"a b", &[b'k'; 256], "é".as_bytes()] {
            assert!(IdempotencyKey::parse(Some(bad)).is_err());
        }
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_spacing() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": [1, 2]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"a":[2,1],"b":1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
