//! Key-encryption keys (KEK): the root of the envelope. Data keys are stored only wrapped
//! by a KEK. In development the KEK comes from an environment variable or a file
//! ([`LocalKek`]); in production a KMS implements [`KeyEncryptionKey`] and the key never
//! leaves it.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use crate::{DataKey, VaultError};

/// A data key wrapped by a KEK, as stored in the key tables.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// Which KEK wrapped it (a KMS key name; `local` in development).
    pub kek_id: String,
    /// The KEK version that wrapped it; older versions stay able to unwrap until retired.
    pub kek_version: i32,
    /// Nonce followed by ciphertext and tag.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("kek_id", &self.kek_id)
            .field("kek_version", &self.kek_version)
            .finish_non_exhaustive()
    }
}

/// Wraps and unwraps data keys. `aad` binds a wrapped key to its row (tenant, key id,
/// purpose) so a wrapped key copied into another tenant's row does not unwrap.
#[async_trait]
pub trait KeyEncryptionKey: Send + Sync {
    /// The KEK's name, recorded beside each wrapped key.
    fn kek_id(&self) -> &str;
    /// The version new wraps use.
    fn current_version(&self) -> i32;
    /// Wraps `key` under the current version.
    async fn wrap(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, VaultError>;
    /// Unwraps a key wrapped by any version this KEK still holds.
    async fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, VaultError>;
}

/// A KEK held in process memory, for development and tests, with numbered versions.
///
/// Text form (env `PLATFORM_KEK` or a file): comma-separated `v<N>:<base64 of 32 bytes>`
/// entries; the highest version wraps, all listed versions unwrap. Rotation = add a
/// version, run the re-wrap job, then drop the old version.
pub struct LocalKek {
    versions: BTreeMap<i32, Zeroizing<[u8; 32]>>,
}

impl fmt::Debug for LocalKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKek")
            .field("versions", &self.versions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

const LOCAL_KEK_ID: &str = "local";

impl LocalKek {
    /// A KEK with one fresh random version (tests, first dev start).
    pub fn generate(version: i32) -> Self {
        let mut versions = BTreeMap::new();
        versions.insert(version, random_key());
        LocalKek { versions }
    }

    /// Parses the text form (see the type's documentation).
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let bad = |reason: &str| VaultError::KekConfig(reason.to_owned());
        let mut versions = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (version, key) = entry
                .split_once(':')
                .ok_or_else(|| bad("each entry must be v<N>:<base64 key>"))?;
            let version: i32 = version
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| bad("versions are written v1, v2, …"))?;
            let raw = Zeroizing::new(B64.decode(key).map_err(|_| bad("key is not base64"))?);
            let key: [u8; 32] = raw
                .as_slice()
                .try_into()
                .map_err(|_| bad("key must be 32 bytes"))?;
            if versions.insert(version, Zeroizing::new(key)).is_some() {
                return Err(bad("a version is listed twice"));
            }
        }
        if versions.is_empty() {
            return Err(bad("no key versions"));
        }
        Ok(LocalKek { versions })
    }

    /// Reads the text form from the environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self, VaultError> {
        let text = Zeroizing::new(
            std::env::var(var).map_err(|_| VaultError::KekConfig(format!("{var} is not set")))?,
        );
        Self::parse(&text).map_err(|e| VaultError::KekConfig(format!("{var}: {e}")))
    }

    /// Reads the text form from a file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, VaultError> {
        let text =
            Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                VaultError::KekConfig(format!("cannot read {}: {e}", path.display()))
            })?);
        Self::parse(&text)
    }

    /// The platform's KEK: from `file` when configured (`PLATFORM_KEK_FILE`), else from
    /// the environment variable `PLATFORM_KEK`.
    pub fn from_file_or_platform_env(file: Option<&std::path::Path>) -> Result<Self, VaultError> {
        match file {
            Some(path) => Self::from_file(path),
            None => Self::from_env("PLATFORM_KEK"),
        }
    }

    /// The text form (what `cargo xtask` writes to the dev key file).
    pub fn to_text(&self) -> Zeroizing<String> {
        let entries: Vec<String> = self
            .versions
            .iter()
            .map(|(v, k)| format!("v{v}:{}", B64.encode(k.as_slice())))
            .collect();
        Zeroizing::new(entries.join(","))
    }

    /// Adds a fresh version above the current one and returns it (rotation, step one).
    pub fn add_version(&mut self) -> i32 {
        let next = self.current_version() + 1;
        self.versions.insert(next, random_key());
        next
    }

    /// Forgets a version (rotation, last step, after every key was re-wrapped).
    pub fn retire_version(&mut self, version: i32) {
        if version != self.current_version() {
            self.versions.remove(&version);
        }
    }

    fn cipher(&self, version: i32) -> Result<Aes256Gcm, VaultError> {
        let key = self
            .versions
            .get(&version)
            .ok_or(VaultError::KekVersionUnavailable(version))?;
        Aes256Gcm::new_from_slice(key.as_slice()).map_err(|_| VaultError::Crypto)
    }
}

fn random_key() -> Zeroizing<[u8; 32]> {
    let key = aes_gcm::Key::<Aes256Gcm>::generate();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(key.as_slice());
    out
}

#[async_trait]
impl KeyEncryptionKey for LocalKek {
    fn kek_id(&self) -> &str {
        LOCAL_KEK_ID
    }

    fn current_version(&self) -> i32 {
        self.versions.keys().next_back().copied().unwrap_or(1)
    }

    async fn wrap(&self, key: &DataKey, aad: &[u8]) -> Result<WrappedKey, VaultError> {
        let version = self.current_version();
        let nonce = Nonce::generate();
        let sealed = self
            .cipher(version)?
            .encrypt(
                &nonce,
                Payload {
                    msg: key.expose(),
                    aad,
                },
            )
            .map_err(|_| VaultError::Crypto)?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(WrappedKey {
            kek_id: LOCAL_KEK_ID.to_owned(),
            kek_version: version,
            bytes,
        })
    }

    async fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey, VaultError> {
        if wrapped.kek_id != LOCAL_KEK_ID {
            return Err(VaultError::KekConfig(format!(
                "key wrapped by KEK {:?}, this process holds {LOCAL_KEK_ID:?}",
                wrapped.kek_id
            )));
        }
        if wrapped.bytes.len() < 12 {
            return Err(VaultError::Malformed);
        }
        let (nonce, sealed) = wrapped.bytes.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| VaultError::Malformed)?;
        let plain = Zeroizing::new(
            self.cipher(wrapped.kek_version)?
                .decrypt(&nonce, Payload { msg: sealed, aad })
                .map_err(|_| VaultError::Crypto)?,
        );
        DataKey::from_slice(&plain)
    }
}
