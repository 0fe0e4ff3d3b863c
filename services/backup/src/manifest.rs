//! The manifest: what a backup holds, written last (a backup without one never completed).
//! It carries no personal data: table and column names, counts, sizes, checksums and key
//! ids; the data key is present only wrapped by the tenant key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Format version of the object layout (frames, compression, encryption).
pub const FORMAT: u32 = 1;

/// One exported table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Schema-qualified name (`public.products`).
    pub name: String,
    /// Columns in COPY order.
    pub columns: Vec<String>,
    /// Rows exported.
    pub rows: u64,
    /// Bytes of COPY text (the plaintext) for this table.
    pub bytes: u64,
    /// SHA-256 of that plaintext, hex.
    pub sha256: String,
}

/// The shop as it was, for restoring into a database that does not know it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantEntry {
    /// Tenant id.
    pub id: Uuid,
    /// Shop handle.
    pub handle: String,
    /// Shop name.
    pub display_name: String,
}

/// The manifest of one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Object layout version ([`FORMAT`]).
    pub format: u32,
    /// Backup id (sortable by time).
    pub backup_id: String,
    /// The shop.
    pub tenant: TenantEntry,
    /// Latest applied migration of the source database.
    pub schema_version: i64,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// Tables in restore order (parents before children).
    pub tables: Vec<TableEntry>,
    /// Total plaintext bytes.
    pub plaintext_bytes: u64,
    /// Size of the encrypted object.
    pub object_bytes: u64,
    /// Id and version of the tenant key that wraps the data key.
    pub tenant_key_id: Uuid,
    /// Version of that key.
    pub tenant_key_version: i32,
    /// The per-backup data key, wrapped by the tenant key (base64).
    pub wrapped_data_key: String,
    /// STREAM nonce prefix of the object (base64).
    pub stream_nonce: String,
    /// Highest erasure-log sequence number visible in the snapshot: a restore re-applies
    /// every erasure recorded after it.
    pub erasure_position: i64,
}

impl Manifest {
    /// Rows over all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}
