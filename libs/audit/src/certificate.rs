//! The deletion certificate (GDPR Art. 28(3)(g)): the platform's signed statement, sent to
//! the owner of a closed shop, of what was deleted and when, what became of the keys, and
//! when the last backup (unreadable since then) expires. It holds no personal data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{AuditKey, VerifyingKey};

/// Its format name.
pub const DELETION_FORMAT: &str = "deletion-certificate/1";

/// Proof that a closed shop's data is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionCertificate {
    /// `deletion-certificate/1`.
    pub format: String,
    /// The shop's id.
    pub shop_id: String,
    /// Its handle (its address on the platform).
    pub shop_handle: String,
    /// Its name, as it was.
    pub shop_name: String,
    /// When an owner asked to close it.
    pub requested_at: DateTime<Utc>,
    /// The export the owner received before confirming.
    pub export: ExportDelivered,
    /// When everything was deleted.
    pub deleted_at: DateTime<Utc>,
    /// What was deleted, table by table.
    pub deleted: Vec<DeletedRecords>,
    /// How many of the shop's keys (its own and its people's) were destroyed.
    pub keys_destroyed: u64,
    /// Other statements: object storage, carts, sessions, what stays on the platform.
    pub statements: Vec<String>,
    /// The backups made before.
    pub backups: BackupsLeft,
    /// The platform's signature over everything above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<RecordSignature>,
}

/// The full export an owner made before confirming the closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportDelivered {
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// SHA-256 of the ZIP, hex.
    pub sha256: String,
}

/// The rows deleted from one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedRecords {
    /// `schema.table`.
    pub table: String,
    /// How many rows.
    pub rows: u64,
}

/// Backups that still exist, as ciphertext under destroyed keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupsLeft {
    /// How many.
    pub count: u64,
    /// What that means.
    pub text: String,
    /// The day the last of them is deleted (none left: the day of the deletion).
    pub last_expires_on: NaiveDate,
}

/// An Ed25519 signature by one of the platform's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSignature {
    /// `Ed25519`.
    pub algorithm: String,
    /// Which key.
    pub key_id: String,
    /// base64url of the 64 bytes.
    pub value: String,
}

impl DeletionCertificate {
    /// The bytes the signature covers: the certificate's JSON without its signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = DeletionCertificate {
            signature: None,
            ..self.clone()
        };
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Signs it with `key`, replacing any signature.
    pub fn sign(mut self, key: &AuditKey) -> Self {
        self.signature = None;
        let value = B64.encode(key.sign_record(&self.signed_bytes()));
        self.signature = Some(RecordSignature {
            algorithm: "Ed25519".to_owned(),
            key_id: key.key_id().to_owned(),
            value,
        });
        self
    }

    /// Whether it carries a valid signature by `key`.
    pub fn verifies(&self, key: &VerifyingKey) -> bool {
        let Some(sig) = &self.signature else {
            return false;
        };
        if sig.algorithm != "Ed25519" || sig.key_id != key.key_id() {
            return false;
        }
        B64.decode(&sig.value)
            .map(|value| key.verifies(&self.signed_bytes(), &value))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate() -> DeletionCertificate {
        DeletionCertificate {
            format: DELETION_FORMAT.to_owned(),
            shop_id: "00000000-0000-0000-0000-000000000001".to_owned(),
            shop_handle: "boots".to_owned(),
            shop_name: "Boots".to_owned(),
            requested_at: DateTime::UNIX_EPOCH,
            export: ExportDelivered {
                made_at: DateTime::UNIX_EPOCH,
                sha256: "00".repeat(32),
            },
            deleted_at: DateTime::UNIX_EPOCH,
            deleted: vec![DeletedRecords {
                table: "public.orders".to_owned(),
                rows: 3,
            }],
            keys_destroyed: 4,
            statements: vec![],
            backups: BackupsLeft {
                count: 1,
                text: String::new(),
                last_expires_on: NaiveDate::MIN,
            },
            signature: None,
        }
    }

    #[test]
    fn a_signed_certificate_verifies_and_any_change_breaks_it() {
        let key = AuditKey::from_seed("certificate-test", &[7; 32]).unwrap();
        let signed = certificate().sign(&key);
        assert!(signed.verifies(&key.verifying_key()));
        let mut changed = signed.clone();
        changed.deleted[0].rows = 2;
        assert!(!changed.verifies(&key.verifying_key()));
        let other = AuditKey::from_seed("certificate-test", &[8; 32]).unwrap();
        assert!(!signed.verifies(&other.verifying_key()));
        assert!(!certificate().verifies(&key.verifying_key()));
    }
}
