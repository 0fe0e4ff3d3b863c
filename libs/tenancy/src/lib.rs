//! Tenancy: the tenant identifier and the only door to tenant rows (O21).
//!
//! Every tenant-owned table is under Postgres row-level security keyed on the
//! transaction-local setting `app.tenant_id`. This crate is the one place that sets it:
//! [`TenantDb::begin`] opens a transaction whose first statement is
//! `select set_config('app.tenant_id', $1, true)`, and [`TenantTx`] is the executor that
//! request code hands to `sqlx::query(..).fetch_*`. Because the setting is
//! transaction-local, a pooled connection never carries a tenant into the next request.
//!
//! Platform-level tables (such as `tenants`) are reached through the separate, explicit
//! [`TenantDb::platform`] path, on which no tenant is set and tenant tables show no rows.
//!
//! What this crate must never do: expose a raw connection, or let request code change the
//! transaction's tenant. Both executors refuse statements that touch `app.tenant_id`,
//! `set_config`, session state (`SET`, `RESET`, `DISCARD`) or transaction control.

mod catalog_lint;
mod guard;
mod id;
mod personal;
mod tx;

pub use catalog_lint::{Violation, lint_catalog};
pub use guard::check_statement;
pub use id::TenantId;
pub use personal::{CLASSES as PERSONAL_CLASSES, PersonalColumn, looks_personal, personal_columns};
pub use tx::{IDLE_BEFORE_CHECK, PlatformScope, ScopedTx, SelfScoping, TenantDb, TenantScope};

/// A transaction scoped to one tenant: the only way to read or write tenant rows.
pub type TenantTx = ScopedTx<TenantScope>;

/// A transaction on platform-level tables, with no tenant set (tenant rows are invisible).
pub type PlatformTx = ScopedTx<PlatformScope>;

/// The schema migrations in `migrations/`, applied by the owner role (`cargo xtask`).
/// Services never run them at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Errors of the tenancy layer.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// A string is not a tenant id.
    #[error("not a valid tenant id")]
    InvalidTenantId,
    /// Request code tried a statement that could change the tenant scope or escape the
    /// transaction. The statement itself is not echoed: it may carry data.
    #[error("statement refused by the tenancy guard: {reason}")]
    ForbiddenStatement {
        /// Which rule refused it.
        reason: &'static str,
    },
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl TenancyError {
    /// True when `err` is a statement refused by the guard (it arrives wrapped in
    /// `sqlx::Error::Configuration` through the executor).
    pub fn is_forbidden_statement(err: &sqlx::Error) -> bool {
        matches!(err, sqlx::Error::Configuration(inner)
            if matches!(inner.downcast_ref::<TenancyError>(), Some(TenancyError::ForbiddenStatement { .. })))
    }
}
