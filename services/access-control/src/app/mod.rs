//! Use cases: no HTTP, no SQL (that is in `db/`).

pub mod break_glass;
pub mod disclosures;
pub mod grants;
pub mod metrics;
pub mod operator;
pub mod orders;
pub mod review;
pub mod staff;

use std::sync::Arc;

use platform_auth::{Clock, Hasher, LoginPolicy};
use platform_tenancy::TenantDb;
use platform_vault::Vault;

use crate::config::Config;

/// What every request shares.
#[derive(Clone)]
pub struct AppState {
    /// Postgres as the `access_control` role.
    pub db: TenantDb,
    /// Opens fields of a shop under a grant; seals staff TOTP secrets.
    pub vault: Vault,
    /// argon2id.
    pub hasher: Hasher,
    /// Failed-login throttling.
    pub policy: LoginPolicy,
    /// Time.
    pub clock: Clock,
    /// What authenticator apps show as the issuer.
    pub totp_issuer: Arc<str>,
}

impl AppState {
    /// The state of a configuration (the pool connects lazily).
    pub fn new(config: &Config) -> Result<Self, platform_auth::AuthError> {
        Ok(AppState {
            db: TenantDb::connect_lazy(config.database.clone(), 8),
            vault: Vault::new(config.kek.clone()),
            hasher: Hasher::new(config.hash_slots, std::time::Duration::from_secs(2))?,
            policy: config.login_policy,
            clock: config.clock.clone(),
            totp_issuer: Arc::from(config.totp_issuer.as_str()),
        })
    }
}
