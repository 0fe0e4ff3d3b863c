//! Ed25519 key pairs with the platform's own key ids, and where verifiers look keys up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use httpsig_hyper::prelude::{AlgorithmName, PublicKey as SigPublicKey, SecretKey};
use zeroize::Zeroizing;

/// A signing key: its id and its Ed25519 secret. The 32-byte seed is all that needs
/// keeping (sealed by the vault); it never prints.
pub struct Keypair {
    key_id: String,
    seed: Zeroizing<[u8; 32]>,
    secret: SecretKey,
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keypair")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A key could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not an Ed25519 key")]
pub struct KeyError;

impl Keypair {
    /// A fresh key pair named `key_id`.
    pub fn generate(key_id: impl Into<String>) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::fill(&mut seed[..]);
        // A 32-byte seed is always a valid Ed25519 secret.
        Self::from_seed(key_id, &seed[..]).unwrap_or_else(|_| unreachable_seed())
    }

    /// The key pair of a kept seed.
    pub fn from_seed(key_id: impl Into<String>, seed: &[u8]) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = seed.try_into().map_err(|_| KeyError)?;
        let secret =
            SecretKey::from_bytes(&AlgorithmName::Ed25519, &bytes).map_err(|_| KeyError)?;
        Ok(Keypair {
            key_id: key_id.into(),
            seed: Zeroizing::new(bytes),
            secret,
        })
    }

    /// Its id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The seed, for the vault to seal.
    pub fn seed(&self) -> &[u8] {
        &self.seed[..]
    }

    /// The public half, to publish.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.secret.public_key())
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }
}

#[allow(clippy::panic)]
fn unreachable_seed() -> Keypair {
    panic!("an Ed25519 seed of 32 bytes was refused")
}

/// A public key as published in a key set: the raw 32 bytes, base64url.
#[derive(Clone)]
pub struct PublicKey(SigPublicKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

impl PublicKey {
    /// Reads a published key.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = B64.decode(text.trim()).map_err(|_| KeyError)?;
        SigPublicKey::from_bytes(&AlgorithmName::Ed25519, &bytes)
            .map(PublicKey)
            .map_err(|_| KeyError)
    }

    /// The published form.
    pub fn to_base64(&self) -> String {
        match &self.0 {
            SigPublicKey::Ed25519(key) => B64.encode(&key[..]),
            #[allow(unreachable_patterns)]
            _ => String::new(),
        }
    }

    pub(crate) fn inner(&self) -> &SigPublicKey {
        &self.0
    }
}

/// What a verifier knows of a key id.
#[derive(Debug, Clone)]
pub enum KeyState {
    /// A key that may sign now.
    Active(PublicKey),
    /// A key that was revoked: everything signed with it is refused.
    Revoked,
    /// No such key.
    Unknown,
}

/// Where a verifier looks keys up (the processor: each shop's published key set; orders:
/// the processor's keys).
pub trait KeyStore: Send + Sync {
    /// The state of `key_id` now.
    fn state(&self, key_id: &str) -> KeyState;
}
