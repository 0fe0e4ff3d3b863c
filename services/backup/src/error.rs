//! The backup worker's one error type. Each variant has a stable code (`backup.*`) that the
//! CLI prints beside the message, so scripts and runbooks can match on it.

use platform_tenancy::TenancyError;
use platform_vault::VaultError;

/// Why a backup, verify, restore or prune failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Another backup or restore of this tenant holds its advisory lock.
    #[error("another backup or restore of tenant {0} is running")]
    AlreadyRunning(String),
    /// No such tenant in the database.
    #[error("no tenant {0}")]
    UnknownTenant(String),
    /// No backup with this id (or it has no manifest, so it never completed).
    #[error("no complete backup {0}")]
    UnknownBackup(String),
    /// The tenant key that wraps this backup's data key was destroyed (the tenant was
    /// deleted, or its keys shredded): the backup can never be read again.
    #[error("the tenant key of this backup was destroyed: the backup is unreadable by design")]
    KeyDestroyed,
    /// The backup was written by a newer schema than the target database's.
    #[error(
        "backup schema version {backup} is newer than the database's {database}: migrate the database first"
    )]
    SchemaNewer {
        /// Schema version recorded in the manifest.
        backup: i64,
        /// The target database's latest migration.
        database: i64,
    },
    /// An older backup whose tables or columns no longer exist in the target schema.
    #[error(
        "backup schema version {backup} cannot be mapped onto the database's {database}: {reason}"
    )]
    SchemaUnmigratable {
        /// Schema version recorded in the manifest.
        backup: i64,
        /// The target database's latest migration.
        database: i64,
        /// What does not map (a table or a column, never data).
        reason: String,
    },
    /// Decryption or decompression failed, or checksums, sizes or row counts disagree
    /// with the manifest: the object was damaged or tampered with.
    #[error("backup is corrupt: {0}")]
    Corrupt(String),
    /// Bad input on the command line.
    #[error("{0}")]
    Usage(String),
    /// The configuration is unusable (the error names the variable).
    #[error("configuration")]
    Config(#[from] platform_web::ConfigError),
    /// The object store failed.
    #[error(transparent)]
    S3(#[from] platform_objects::ObjectsError),
    /// The audit log or its checkpoints failed.
    #[error("audit log")]
    Audit(#[from] platform_audit::AuditError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] TenancyError),
    /// The vault failed (other than a destroyed key).
    #[error("vault")]
    Vault(#[source] VaultError),
}

impl BackupError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::AlreadyRunning(_) => "backup.already_running",
            BackupError::UnknownTenant(_) => "backup.unknown_tenant",
            BackupError::UnknownBackup(_) => "backup.unknown_backup",
            BackupError::KeyDestroyed => "backup.key_destroyed",
            BackupError::SchemaNewer { .. } => "backup.schema_newer",
            BackupError::SchemaUnmigratable { .. } => "backup.schema_unmigratable",
            BackupError::Corrupt(_) => "backup.corrupt",
            BackupError::Usage(_) => "backup.usage",
            BackupError::Config(_) => "backup.config",
            BackupError::S3(_) => "backup.s3",
            BackupError::Audit(_) => "backup.audit",
            BackupError::Db(_) => "backup.database",
            BackupError::Vault(_) => "backup.vault",
        }
    }
}

impl From<VaultError> for BackupError {
    fn from(err: VaultError) -> Self {
        match err {
            VaultError::KeyDestroyed => BackupError::KeyDestroyed,
            other => BackupError::Vault(other),
        }
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(err: sqlx::Error) -> Self {
        BackupError::Db(TenancyError::Database(err))
    }
}
