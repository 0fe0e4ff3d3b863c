//! Nonces seen: a message whose nonce was used before is a replay.

use std::collections::HashMap;
use std::sync::Mutex;

/// Where a verifier records nonces.
pub trait NonceStore: Send + Sync {
    /// Records `nonce` of `key_id`, kept until `until` (Unix seconds, when a message with
    /// it can no longer be fresh); false when it was recorded before.
    fn first_use(&self, key_id: &str, nonce: &str, until: u64) -> bool;
}

/// Nonces in memory, forgotten once no message carrying them could be fresh any more.
#[derive(Debug, Default)]
pub struct Nonces {
    seen: Mutex<HashMap<(String, String), u64>>,
}

impl Nonces {
    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

impl NonceStore for Nonces {
    fn first_use(&self, key_id: &str, nonce: &str, until: u64) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let now = Self::now();
        if seen.len() > 10_000 {
            seen.retain(|_, keep| *keep >= now);
        }
        seen.insert((key_id.to_owned(), nonce.to_owned()), until)
            .is_none()
    }
}
