//! Signed checkpoints of a shop's chain head, in the database and in S3.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use ed25519_compact::{KeyPair, PublicKey, Seed, Signature};
use platform_objects::ObjectStore;
use platform_tenancy::{TenantDb, TenantId, TenantTx};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::AuditError;
use crate::chain::head;

/// The platform's audit signing key: an Ed25519 key pair and its id. Only the 32-byte
/// seed needs keeping; it never prints.
pub struct AuditKey {
    key_id: String,
    pair: KeyPair,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl AuditKey {
    /// The key of a kept 32-byte seed, named `key_id`.
    pub fn from_seed(key_id: impl Into<String>, seed: &[u8]) -> Result<Self, AuditError> {
        let seed = Seed::from_slice(seed).map_err(|_| AuditError::Key("a seed is 32 bytes"))?;
        Ok(AuditKey {
            key_id: key_id.into(),
            pair: KeyPair::from_seed(seed),
        })
    }

    /// The key of a base64url seed (the dev key file's content), named by its public key.
    pub fn from_seed_text(text: &str) -> Result<Self, AuditError> {
        Self::from_seed_text_named("audit", text)
    }

    /// The same, for another of the platform's signed records (`certificate`): named
    /// `<prefix>-` and the first 8 bytes of its public key in hex.
    pub fn from_seed_text_named(prefix: &str, text: &str) -> Result<Self, AuditError> {
        let seed = B64
            .decode(text.trim())
            .map_err(|_| AuditError::Key("the seed is not base64url"))?;
        let key = Self::from_seed("", &seed)?;
        let key_id = key.verifying_key().default_id(prefix);
        Ok(AuditKey { key_id, ..key })
    }

    /// Signs a record of the platform's own (an erasure or deletion certificate) with
    /// this key; checkpoints are signed by [`Checkpointer`].
    pub fn sign_record(&self, message: &[u8]) -> Vec<u8> {
        self.sign(message)
    }

    /// Its id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half, for verifiers.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            key_id: self.key_id.clone(),
            key: self.pair.pk,
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sk.sign(message, None).to_vec()
    }
}

/// A public audit key and its id.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    key_id: String,
    key: PublicKey,
}

impl VerifyingKey {
    /// A key as published: base64url of the 32 bytes, named `key_id`.
    pub fn from_base64(key_id: impl Into<String>, text: &str) -> Result<Self, AuditError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| AuditError::Key("the public key is not base64url"))?;
        Ok(VerifyingKey {
            key_id: key_id.into(),
            key: PublicKey::from_slice(&bytes).map_err(|_| AuditError::Key("not Ed25519"))?,
        })
    }

    /// The published form.
    pub fn to_base64(&self) -> String {
        B64.encode(&self.key[..])
    }

    /// Its id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether `signature` (the 64 bytes) is this key's over `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .map(|sig| self.key.verify(message, &sig).is_ok())
            .unwrap_or(false)
    }

    /// `<prefix>-` and the first 8 bytes of the public key in hex.
    fn default_id(&self, prefix: &str) -> String {
        let mut id = format!("{prefix}-");
        for b in &self.key[..8] {
            id.push_str(&format!("{b:02x}"));
        }
        id
    }
}

/// "The chain of shop `tenant_id` had `seq` events, the last hashing to `head`, at `at`",
/// signed by the platform's audit key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The shop.
    pub tenant_id: Uuid,
    /// The head's position.
    pub seq: i64,
    /// The head's hash, hex.
    pub head: String,
    /// When it was signed (microseconds).
    pub at: DateTime<Utc>,
    /// The signing key's id.
    pub key_id: String,
    /// Ed25519 over [`SignedCheckpoint::message`], base64url.
    pub signature: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SignedCheckpoint {
    /// The signed text: every field but the signature, one per line.
    pub fn message(&self) -> Vec<u8> {
        format!(
            "platform-audit-checkpoint/v1\n{}\n{}\n{}\n{}\n{}",
            self.tenant_id,
            self.seq,
            self.head,
            self.at.timestamp_micros(),
            self.key_id
        )
        .into_bytes()
    }

    fn signed(key: &AuditKey, tenant: TenantId, seq: i64, head: &[u8], at: DateTime<Utc>) -> Self {
        let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
        let mut cp = SignedCheckpoint {
            tenant_id: tenant.as_uuid(),
            seq,
            head: hex(head),
            at,
            key_id: key.key_id.clone(),
            signature: String::new(),
        };
        cp.signature = B64.encode(key.sign(&cp.message()));
        cp
    }

    /// True when one of `keys` with this checkpoint's key id signed it.
    pub fn verifies(&self, keys: &[VerifyingKey]) -> bool {
        let Ok(sig) = B64.decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        keys.iter()
            .filter(|k| k.key_id == self.key_id)
            .any(|k| k.key.verify(self.message(), &sig).is_ok())
    }

    /// The head hash as bytes (empty when the hex is damaged).
    pub fn head_bytes(&self) -> Vec<u8> {
        (0..self.head.len() / 2)
            .map_while(|i| u8::from_str_radix(self.head.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }
}

/// Where checkpoints are kept outside the database (S3; traits belong at external
/// boundaries).
pub trait CheckpointStore: Send + Sync {
    /// Keeps one checkpoint.
    fn put(
        &self,
        checkpoint: &SignedCheckpoint,
    ) -> impl Future<Output = Result<(), AuditError>> + Send;
    /// Every checkpoint kept for `tenant`.
    fn list(
        &self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<SignedCheckpoint>, AuditError>> + Send;
}

/// Checkpoints as JSON objects `audit-checkpoints/<shop>/<seq>-<micros>.json` in a bucket.
#[derive(Debug, Clone)]
pub struct S3Checkpoints {
    store: ObjectStore,
}

impl S3Checkpoints {
    /// Checkpoints in `store`'s bucket.
    pub fn new(store: ObjectStore) -> Self {
        S3Checkpoints { store }
    }

    fn prefix(tenant: TenantId) -> String {
        format!("audit-checkpoints/{tenant}/")
    }
}

impl CheckpointStore for S3Checkpoints {
    async fn put(&self, cp: &SignedCheckpoint) -> Result<(), AuditError> {
        let key = format!(
            "{}{:020}-{}.json",
            Self::prefix(TenantId::from_uuid(cp.tenant_id)),
            cp.seq,
            cp.at.timestamp_micros()
        );
        let body = serde_json::to_vec(cp).map_err(|_| AuditError::Malformed(key.clone()))?;
        self.store.put(&key, body).await?;
        Ok(())
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<SignedCheckpoint>, AuditError> {
        let mut out = Vec::new();
        for listed in self.store.list(&Self::prefix(tenant)).await? {
            let Some(body) = self.store.get(&listed.key).await? else {
                continue;
            };
            out.push(serde_json::from_slice(&body).map_err(|_| AuditError::Malformed(listed.key))?);
        }
        Ok(out)
    }
}

/// The checkpoints of the transaction's shop kept in the database.
pub async fn stored_checkpoints(tx: &mut TenantTx) -> Result<Vec<SignedCheckpoint>, AuditError> {
    let rows = sqlx::query(
        "select seq, head, at, key_id, signature from audit.checkpoints \
         where tenant_id = $1 order by at",
    )
    .bind(tx.tenant())
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            let head: Vec<u8> = r.try_get("head")?;
            let signature: Vec<u8> = r.try_get("signature")?;
            Ok(SignedCheckpoint {
                tenant_id: tx.tenant().as_uuid(),
                seq: r.try_get("seq")?,
                head: hex(&head),
                at: r.try_get("at")?,
                key_id: r.try_get("key_id")?,
                signature: B64.encode(signature),
            })
        })
        .collect()
}

/// Signs chain heads: a shop's head is sealed when `every_events` events arrived since its
/// last checkpoint, or when a new event is older than `every` without one.
pub struct Checkpointer<S> {
    key: AuditKey,
    store: S,
    every_events: i64,
    every: Duration,
}

impl<S: CheckpointStore> Checkpointer<S> {
    /// Seals after `every_events` events, and at least every `every` while events arrive.
    pub fn new(key: AuditKey, store: S, every_events: i64, every: Duration) -> Self {
        Checkpointer {
            key,
            store,
            every_events: every_events.max(1),
            every,
        }
    }

    /// The store checkpoints go to (verification reads them back).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The public key verifiers need.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// One round over every shop; returns how many checkpoints were written.
    pub async fn run(&self, db: &TenantDb, now: DateTime<Utc>) -> Result<usize, AuditError> {
        let shops: Vec<TenantId> = {
            let mut tx = db.platform().await?;
            let shops = sqlx::query_scalar("select id from tenants order by id")
                .fetch_all(&mut tx)
                .await?;
            tx.commit().await?;
            shops
        };
        let mut written = 0;
        for shop in shops {
            if self.seal(db, shop, now, false).await?.is_some() {
                written += 1;
            }
        }
        Ok(written)
    }

    /// Seals `shop`'s head when due (or whenever it moved, with `force`): to S3 first,
    /// then in the database, so a checkpoint in the database always has its copy outside.
    pub async fn seal(
        &self,
        db: &TenantDb,
        shop: TenantId,
        now: DateTime<Utc>,
        force: bool,
    ) -> Result<Option<SignedCheckpoint>, AuditError> {
        let mut tx = db.begin(shop).await?;
        let (seq, hash) = head(&mut tx).await?;
        if seq == 0 {
            return Ok(None);
        }
        let last: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
            "select seq, at from audit.checkpoints where tenant_id = $1 order by at desc limit 1",
        )
        .bind(shop)
        .fetch_optional(&mut tx)
        .await?;
        let due = match last {
            None => true,
            Some((last_seq, last_at)) => {
                seq > last_seq
                    && (force || seq - last_seq >= self.every_events || now - last_at >= self.every)
            }
        };
        if !due {
            return Ok(None);
        }
        let cp = SignedCheckpoint::signed(&self.key, shop, seq, &hash, now);
        self.store.put(&cp).await?;
        let signature = B64
            .decode(&cp.signature)
            .map_err(|_| AuditError::Key("signature"))?;
        sqlx::query(
            "insert into audit.checkpoints (tenant_id, seq, head, at, key_id, signature) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(shop)
        .bind(seq)
        .bind(&hash[..])
        .bind(cp.at)
        .bind(&cp.key_id)
        .bind(signature)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %shop, seq, "audit checkpoint written");
        Ok(Some(cp))
    }
}
