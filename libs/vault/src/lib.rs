//! Vault: envelope encryption of personal-data fields (O11, O14, O21).
//!
//! Three layers of keys:
//! - a **key-encryption key** (KEK, [`KeyEncryptionKey`]) from configuration or a KMS;
//! - per-tenant **data keys** (`keys.tenant_keys`): one encrypts tenant-wide fields, one
//!   keys the HMAC blind indexes used for equality lookups (an email, say);
//! - per-**data-subject** keys (`keys.subject_keys`): a visitor's or buyer's fields are
//!   encrypted under their own key, so erasing that person is destroying one key, and
//!   every copy of their data (rows, Redis, backups) becomes unreadable at once.
//!
//! Data keys are stored only wrapped by the KEK, with the KEK version that wrapped them, so
//! rotating the KEK re-wraps a few rows and never re-encrypts data. Ciphertexts
//! ([`Sealed`]) carry the key kind, key id and key version; the header, the tenant and a
//! field context are authenticated, so a ciphertext moved to another tenant or field fails
//! to open.
//!
//! All key rows are read and written through [`TenantTx`], under row-level security: one
//! tenant's code can never reach another tenant's keys.
//!
//! What this crate must never do: log, print or return key material or plaintext in an
//! error; implement cryptography itself (AES-256-GCM and HMAC-SHA256 come from RustCrypto).

mod kek;
mod sealed;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use platform_tenancy::{TenancyError, TenantId, TenantTx};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

pub use kek::{KeyEncryptionKey, LocalKek, WrappedKey};
pub use sealed::{KeyKind, Sealed};

/// Errors of the vault. None of them carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key this ciphertext needs was destroyed (crypto-shredded): the data is gone.
    #[error("the key for this data was destroyed")]
    KeyDestroyed,
    /// No key with this id exists for the current tenant.
    #[error("unknown key")]
    UnknownKey,
    /// The bytes are not a ciphertext of this vault.
    #[error("malformed ciphertext")]
    Malformed,
    /// Authentication failed: wrong key, wrong tenant or field context, or tampering.
    #[error("decryption failed")]
    Crypto,
    /// The KEK version that wrapped a key is not available to this process.
    #[error("KEK version {0} is not available")]
    KekVersionUnavailable(i32),
    /// The KEK configuration is missing or invalid.
    #[error("KEK configuration: {0}")]
    KekConfig(String),
    /// The database or the tenancy layer failed.
    #[error("key store: {0}")]
    Store(#[from] TenancyError),
}

impl From<sqlx::Error> for VaultError {
    fn from(err: sqlx::Error) -> Self {
        VaultError::Store(TenancyError::Database(err))
    }
}

/// A 256-bit data key in memory; zeroed when dropped, never printed.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let key = aes_gcm::Key::<Aes256Gcm>::generate();
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(key.as_slice());
        DataKey(out)
    }

    /// Builds a key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, VaultError> {
        let mut out = Zeroizing::new([0u8; 32]);
        if bytes.len() != out.len() {
            return Err(VaultError::Malformed);
        }
        out.copy_from_slice(bytes);
        Ok(DataKey(out))
    }

    /// The raw bytes, for handing to a cipher.
    pub fn expose(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// Encrypts `plaintext` with this key (AES-256-GCM, random 96-bit nonce).
    /// Returns nonce ‖ ciphertext ‖ tag. Used by [`Vault`] and by the backup worker for
    /// its per-backup keys.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let cipher = Aes256Gcm::new_from_slice(self.expose()).map_err(|_| VaultError::Crypto)?;
        let nonce = Nonce::generate();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| VaultError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Reverses [`DataKey::encrypt`].
    pub fn decrypt(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() < 12 + 16 {
            return Err(VaultError::Malformed);
        }
        let cipher = Aes256Gcm::new_from_slice(self.expose()).map_err(|_| VaultError::Crypto)?;
        let (nonce, body) = sealed.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| VaultError::Malformed)?;
        cipher
            .decrypt(&nonce, Payload { msg: body, aad })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Crypto)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Unwrapped keys kept in memory to spare the KEK (a KMS round trip in production).
/// Entries are keyed by the wrapped bytes too, so a shredded or re-wrapped row never
/// matches a stale entry; whether a key is live is always read from the database.
type KeyCache = HashMap<(Uuid, Vec<u8>), DataKey>;
const KEY_CACHE_LIMIT: usize = 10_000;

/// The vault: seal and open fields, compute blind indexes, shred keys.
#[derive(Clone)]
pub struct Vault {
    kek: Arc<dyn KeyEncryptionKey>,
    cache: Arc<Mutex<KeyCache>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("kek_id", &self.kek.kek_id())
            .field("kek_version", &self.kek.current_version())
            .finish_non_exhaustive()
    }
}

/// The stable label of a field, bound into its ciphertext (`"orders.email"`), so a
/// ciphertext copied into another column does not open there.
pub type FieldContext<'a> = &'a str;

impl Vault {
    /// A vault over `kek`.
    pub fn new(kek: Arc<dyn KeyEncryptionKey>) -> Self {
        Vault {
            kek,
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Encrypts a tenant-wide field (store settings, say) under the tenant's data key,
    /// creating that key on first use.
    pub async fn seal_for_tenant(
        &self,
        tx: &mut TenantTx,
        context: FieldContext<'_>,
        plaintext: &[u8],
    ) -> Result<Sealed, VaultError> {
        let row = store::live_tenant_key(tx, self.kek.as_ref(), store::Purpose::Data).await?;
        self.seal_with(tx.tenant(), KeyKind::Tenant, row, context, plaintext)
            .await
    }

    /// Encrypts a field of one data subject (a visitor, a buyer) under that subject's
    /// key, creating it on first use. Shredding the subject makes it unreadable.
    pub async fn seal_for_subject(
        &self,
        tx: &mut TenantTx,
        subject: Uuid,
        context: FieldContext<'_>,
        plaintext: &[u8],
    ) -> Result<Sealed, VaultError> {
        let row = store::live_subject_key(tx, self.kek.as_ref(), subject).await?;
        self.seal_with(tx.tenant(), KeyKind::Subject, row, context, plaintext)
            .await
    }

    async fn seal_with(
        &self,
        tenant: TenantId,
        kind: KeyKind,
        row: store::KeyRow,
        context: FieldContext<'_>,
        plaintext: &[u8],
    ) -> Result<Sealed, VaultError> {
        let key = self.unwrap_row(tenant, kind, &row).await?;
        let header = Sealed::header(kind, row.key_id, row.version);
        let aad = Sealed::aad(&header, tenant, context);
        let body = key.encrypt(plaintext, &aad)?;
        Ok(Sealed::from_parts(header, body))
    }

    /// Decrypts a field sealed by this vault for the transaction's tenant and `context`.
    /// Fails with [`VaultError::KeyDestroyed`] once its key was shredded.
    pub async fn open(
        &self,
        tx: &mut TenantTx,
        context: FieldContext<'_>,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (kind, key_id, version) = sealed.key_ref()?;
        let row = match kind {
            KeyKind::Tenant => store::tenant_key_by_id(tx, key_id).await?,
            KeyKind::Subject => store::subject_key_by_id(tx, key_id).await?,
        };
        let row = row.ok_or(VaultError::UnknownKey)?;
        if row.version != version {
            return Err(VaultError::Malformed);
        }
        let key = self.unwrap_row(tx.tenant(), kind, &row).await?;
        let aad = Sealed::aad(sealed.header_bytes(), tx.tenant(), context);
        key.decrypt(sealed.body(), &aad)
    }

    /// A keyed blind index (HMAC-SHA256 under the tenant's blind-index key) of an already
    /// normalised value, for equality lookups without storing the value in clear. The
    /// context separates fields, so equal values in two fields index differently.
    pub async fn blind_index(
        &self,
        tx: &mut TenantTx,
        context: FieldContext<'_>,
        normalised: &str,
    ) -> Result<[u8; 32], VaultError> {
        let row = store::live_tenant_key(tx, self.kek.as_ref(), store::Purpose::BlindIndex).await?;
        let key = self.unwrap_row(tx.tenant(), KeyKind::Tenant, &row).await?;
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose())
            .map_err(|_| VaultError::Crypto)?;
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        Ok(out)
    }

    /// Destroys the key of one data subject (erasure, O14): every field sealed for them,
    /// wherever it was copied, can no longer be opened. Returns how many keys died.
    pub async fn shred_subject(&self, tx: &mut TenantTx, subject: Uuid) -> Result<u64, VaultError> {
        let n = store::destroy_subject_keys(tx, subject).await?;
        self.forget_all();
        tracing::info!(tenant_id = %tx.tenant(), keys = n, "subject key shredded");
        Ok(n)
    }

    /// Destroys every key of the transaction's tenant (tenant deletion): all its sealed
    /// fields and backups become unreadable.
    pub async fn destroy_tenant_keys(&self, tx: &mut TenantTx) -> Result<u64, VaultError> {
        let n = store::destroy_tenant_keys(tx).await?;
        self.forget_all();
        tracing::info!(tenant_id = %tx.tenant(), keys = n, "tenant keys destroyed");
        Ok(n)
    }

    /// Re-wraps every live key of the tenant that is not under the KEK's current version
    /// (KEK rotation). No data is re-encrypted. Returns how many keys were re-wrapped.
    pub async fn rewrap_tenant(&self, tx: &mut TenantTx) -> Result<u64, VaultError> {
        let tenant = tx.tenant();
        let stale = store::stale_wraps(tx, self.kek.current_version()).await?;
        let mut n = 0;
        for (kind, row) in stale {
            let aad = store::wrap_aad(tenant, kind, row.key_id);
            let key = self.kek.unwrap(&row.wrapped, &aad).await?;
            let rewrapped = self.kek.wrap(&key, &aad).await?;
            store::replace_wrap(tx, kind, row.key_id, &rewrapped).await?;
            n += 1;
        }
        Ok(n)
    }

    /// The KEK this vault wraps with.
    pub fn kek(&self) -> &dyn KeyEncryptionKey {
        self.kek.as_ref()
    }

    /// The tenant's live data key, unwrapped, with its id and version: for callers that
    /// encrypt bulk data themselves (the backup worker wraps per-backup keys with it).
    pub async fn tenant_data_key(
        &self,
        tx: &mut TenantTx,
    ) -> Result<(Uuid, i32, DataKey), VaultError> {
        let row = store::live_tenant_key(tx, self.kek.as_ref(), store::Purpose::Data).await?;
        let key = self.unwrap_row(tx.tenant(), KeyKind::Tenant, &row).await?;
        Ok((row.key_id, row.version, key))
    }

    /// A tenant data key by id (to open what [`Vault::tenant_data_key`] protected).
    pub async fn tenant_data_key_by_id(
        &self,
        tx: &mut TenantTx,
        key_id: Uuid,
    ) -> Result<DataKey, VaultError> {
        let row = store::tenant_key_by_id(tx, key_id)
            .await?
            .ok_or(VaultError::UnknownKey)?;
        self.unwrap_row(tx.tenant(), KeyKind::Tenant, &row).await
    }

    async fn unwrap_row(
        &self,
        tenant: TenantId,
        kind: KeyKind,
        row: &store::KeyRow,
    ) -> Result<DataKey, VaultError> {
        let cache_key = (row.key_id, row.wrapped.bytes.clone());
        if let Some(key) = self.cached(&cache_key) {
            return Ok(key);
        }
        let aad = store::wrap_aad(tenant, kind, row.key_id);
        let key = self.kek.unwrap(&row.wrapped, &aad).await?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= KEY_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(cache_key, key.clone());
        }
        Ok(key)
    }

    fn cached(&self, cache_key: &(Uuid, Vec<u8>)) -> Option<DataKey> {
        self.cache.lock().ok()?.get(cache_key).cloned()
    }

    fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }
}
