//! Random tokens for sessions and CSRF, and constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A random 256-bit token (URL-safe base64). Its [`Token::digest`] is what gets stored.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A fresh token from the thread's CSPRNG (seeded by the OS).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Token(B64.encode(bytes))
    }

    /// Parses a presented token; `None` unless it has the exact shape of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = B64.decode(text).ok()?;
        (bytes.len() == 32).then(|| Token(text.to_owned()))
    }

    /// The text form (cookie value, form field).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the token: the database key of a session.
    pub fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// Constant-time equality of two secrets (CSRF tokens).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
