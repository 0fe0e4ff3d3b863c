//! The shop's signing keys for the payment processor (O12): made by the platform, the
//! private half sealed by the vault under the shop's key, published to the processor as
//! a key set before first use; rotated with an overlap; revoked at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use platform_msgsign::Keypair;
use platform_orders_api::{ErrorCode, SigningKey, SigningKeys};
use platform_processor_api::{KeySet, KeyStatus, PublishedKey};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;

use super::{Orders, Result};
use crate::db;
use crate::error::OrdersError;
use crate::processor::ProcessorError;

/// How long a shop's signing key stays in memory between reads.
pub const SIGNER_TTL: Duration = Duration::from_secs(60);

/// The field context bound into a sealed seed.
const SEED_FIELD: &str = "orders.signing_key";

/// A fresh key id: random, so it says nothing about the shop.
fn new_key_id() -> String {
    let mut bytes = [0u8; 12];
    rand::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("k_{hex}")
}

impl Orders {
    /// Makes a new signing key for the transaction's shop and stores it sealed. The
    /// caller has moved any previous signing key out of the way.
    async fn make_key(&self, tx: &mut TenantTx) -> Result<()> {
        let key = Keypair::generate(new_key_id());
        let sealed = self
            .vault
            .seal_for_tenant(tx, SEED_FIELD, key.seed())
            .await?;
        db::keys::insert(
            tx,
            key.key_id(),
            &key.public().to_base64(),
            sealed.as_bytes(),
        )
        .await?;
        Ok(())
    }

    /// The key that signs the shop's requests now: made on first use, and published to
    /// the processor before it signs anything. Kept in memory for [`SIGNER_TTL`] so a
    /// signed call costs no transaction; a rotation or revocation here drops it at once,
    /// and one made by another replica is noticed when the processor refuses the key.
    pub(crate) async fn signer(&self, tenant: TenantId) -> Result<Arc<Keypair>> {
        if let Some(key) = self.signers.get(&tenant) {
            return Ok(key);
        }
        let mut tx = self.db.begin(tenant).await?;
        let row = match db::keys::signing(&mut tx).await? {
            Some(row) => row,
            None => {
                self.make_key(&mut tx).await?;
                db::keys::signing(&mut tx)
                    .await?
                    .ok_or(OrdersError::NotFound)?
            }
        };
        let sealed = Sealed::from_bytes(row.seed_sealed)?;
        let seed = self.vault.open(&mut tx, SEED_FIELD, &sealed).await?;
        let key = Keypair::from_seed(row.key_id, &seed)
            .map_err(|_| OrdersError::Vault(platform_vault::VaultError::Malformed))?;
        tx.commit().await?;
        if row.published_at.is_none() {
            self.publish_keys(tenant).await?;
        }
        let key = Arc::new(key);
        self.signers.insert(tenant, key.clone());
        Ok(key)
    }

    /// Sends the shop's key set to the processor: signing and retiring keys as active,
    /// revoked ones as revoked (retired ones are left out). The keys stay locked until the
    /// processor answered, so two key changes of one shop reach it in order.
    pub(crate) async fn publish_keys(&self, tenant: TenantId) -> Result<()> {
        let payments = self.payments()?;
        let mut tx = self.db.begin(tenant).await?;
        let rows = db::keys::all(&mut tx, true).await?;
        let shown: Vec<_> = rows.iter().filter(|r| r.state != "retired").collect();
        let set = KeySet {
            webhook_url: payments.webhook_url.clone(),
            keys: shown
                .iter()
                .map(|r| PublishedKey {
                    kid: r.key_id.clone(),
                    public: r.public_key.clone(),
                    status: if r.state == "revoked" {
                        KeyStatus::Revoked
                    } else {
                        KeyStatus::Active
                    },
                })
                .collect(),
        };
        payments.processor.publish(tenant, &set).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.key_id.clone()).collect();
        let states: Vec<String> = rows.iter().map(|r| r.state.clone()).collect();
        db::keys::mark_published(&mut tx, &ids, &states).await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, keys = set.keys.len(), "key set published");
        Ok(())
    }

    /// Runs a signed call with the shop's key; when the processor says it does not know
    /// the key (it lost its state), publishes the key set again and tries once more.
    pub(crate) async fn with_signer<T, F, Fut>(&self, tenant: TenantId, call: F) -> Result<T>
    where
        F: Fn(Arc<Keypair>) -> Fut,
        Fut: Future<Output = std::result::Result<T, ProcessorError>>,
    {
        let key = self.signer(tenant).await?;
        match call(key).await {
            Err(e) if e.is_unknown_key() => {
                self.signers.invalidate(&tenant);
                self.publish_keys(tenant).await?;
                let key = self.signer(tenant).await?;
                Ok(call(key).await?)
            }
            Err(e) if e.is_revoked_key() => {
                self.signers.invalidate(&tenant);
                let key = self.signer(tenant).await?;
                Ok(call(key).await?)
            }
            other => Ok(other?),
        }
    }

    /// The shop's keys, newest first.
    pub async fn signing_keys(&self, tenant: TenantId) -> Result<SigningKeys> {
        let overlap_secs = self.payments()?.key_overlap_secs;
        let mut tx = self.db.begin(tenant).await?;
        let rows = db::keys::all(&mut tx, false).await?;
        tx.commit().await?;
        Ok(SigningKeys {
            keys: rows
                .into_iter()
                .map(|r| SigningKey {
                    key_id: r.key_id,
                    state: r.state,
                    public_key: r.public_key,
                    created_at: r.created_at,
                    published_at: r.published_at,
                    retire_at: r.retire_at,
                    revoked_at: r.revoked_at,
                })
                .collect(),
            overlap_secs,
        })
    }

    /// Makes a new signing key and publishes it before it signs; the previous one stays
    /// accepted for the overlap, so requests signed a moment ago still verify.
    pub async fn rotate_key(
        &self,
        tenant: TenantId,
        staff: platform_domain::StaffId,
    ) -> Result<SigningKeys> {
        let overlap = self.payments()?.key_overlap_secs;
        let mut tx = self.db.begin(tenant).await?;
        db::keys::all(&mut tx, true).await?;
        db::keys::retire_signing(&mut tx, i64::try_from(overlap).unwrap_or(i64::MAX)).await?;
        self.make_key(&mut tx).await?;
        tx.commit().await?;
        self.signers.invalidate(&tenant);
        tracing::info!(tenant_id = %tenant, staff_id = %staff, "signing key rotated");
        self.publish_keys(tenant).await?;
        self.signing_keys(tenant).await
    }

    /// Revokes a key: the processor refuses it as soon as it has the new key set, which
    /// this call waits for. A revoked signing key is replaced at once. When the processor
    /// cannot be reached the revocation stands and is sent again by the sweep; the call
    /// answers that it is not confirmed yet.
    pub async fn revoke_key(
        &self,
        tenant: TenantId,
        key_id: &str,
        staff: platform_domain::StaffId,
    ) -> Result<SigningKeys> {
        self.payments()?;
        let mut tx = self.db.begin(tenant).await?;
        let rows = db::keys::all(&mut tx, true).await?;
        let Some(row) = rows.iter().find(|r| r.key_id == key_id) else {
            return Err(OrdersError::refused(
                ErrorCode::KeyNotFound,
                "There is no such signing key.",
            ));
        };
        let was_signing = row.state == "signing";
        if !db::keys::revoke(&mut tx, key_id, &format!("staff:{staff}")).await? {
            return Err(OrdersError::refused(
                ErrorCode::KeyNotRevocable,
                "This key is already revoked or retired.",
            ));
        }
        if was_signing {
            self.make_key(&mut tx).await?;
        }
        tx.commit().await?;
        self.signers.invalidate(&tenant);
        tracing::warn!(tenant_id = %tenant, staff_id = %staff, key_id, "signing key revoked");
        self.publish_keys(tenant).await?;
        self.signing_keys(tenant).await
    }

    /// Key upkeep of one shop: retiring keys past their overlap leave the key set, and a
    /// key set the processor has not confirmed is sent again.
    pub(crate) async fn key_upkeep(&self, tenant: TenantId) -> Result<()> {
        let mut tx = self.db.begin(tenant).await?;
        db::keys::retire_lapsed(&mut tx).await?;
        let due = db::keys::unpublished(&mut tx).await?;
        tx.commit().await?;
        if due {
            self.publish_keys(tenant).await?;
        }
        Ok(())
    }
}
