//! The audit log (O22): every read of personal data by staff and every change, per shop,
//! in an append-only hash chain with signed checkpoints.
//!
//! - [`append`] writes one [`Event`] in the caller's tenant transaction, so a change and
//!   its event commit together. The event's hash covers its fields and the previous
//!   event's hash; sequence numbers run 1, 2, 3… per shop under the shop's advisory lock.
//! - The database refuses every `UPDATE`, `DELETE` and `TRUNCATE` of the log, by grants
//!   (services may only insert and read) and by triggers (the owner too).
//! - A [`Checkpointer`] signs the head of each shop's chain (Ed25519, the platform's audit
//!   key) after every N events and at least hourly while new events arrive, and stores the
//!   signed checkpoint in the database and in S3. A plain hash chain cannot show that its
//!   newest rows were deleted; a checkpoint kept outside the database can.
//! - [`verify`] walks a shop's chain and reports edited, reordered and missing rows and a
//!   head behind (or different from) a signed checkpoint.
//!
//! What this crate must never do: update or delete an event, record personal data in an
//! event (events name objects by id and classes by name, never a value), or accept a
//! checkpoint whose signature does not verify.

mod certificate;
mod chain;
mod checkpoint;
mod verify;

pub use certificate::{
    BackupsLeft, DELETION_FORMAT, DeletedRecords, DeletionCertificate, ExportDelivered,
    RecordSignature,
};
pub use chain::{Actor, ActorKind, Appended, Event, Filter, GENESIS, Record, append, head, list};
pub use checkpoint::{
    AuditKey, CheckpointStore, Checkpointer, S3Checkpoints, SignedCheckpoint, VerifyingKey,
    stored_checkpoints,
};
pub use verify::{Problem, Report, verify};

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database failed (or refused an append).
    #[error("audit database")]
    Db(#[from] sqlx::Error),
    /// Opening a transaction failed.
    #[error("audit database")]
    Tenancy(#[from] platform_tenancy::TenancyError),
    /// The object store failed.
    #[error("audit checkpoint store")]
    Store(#[from] platform_objects::ObjectsError),
    /// A stored checkpoint does not parse.
    #[error("audit checkpoint {0} does not parse")]
    Malformed(String),
    /// A key does not parse.
    #[error("audit key: {0}")]
    Key(&'static str),
    /// An event is not valid (action, purpose or request id out of shape).
    #[error("audit event: {0}")]
    Invalid(&'static str),
}
