//! tenant-admin's use cases: what a merchant can do, the same for the console's pages and
//! the JSON API. Nothing here knows HTTP or SQL: requests arrive as parsed values, rows
//! come from `db/`, errors leave as [`ApiError`](crate::ApiError).

pub mod access;
pub mod audit;
pub mod catalog_csv;
pub mod checkout;
pub mod closure;
pub mod collections;
pub mod domain;
pub mod images;
pub mod look;
pub mod mfa;
pub mod newsletters;
pub mod options;
pub mod order_view;
pub mod orders;
pub mod policies;
pub mod products;
pub mod requests;
pub mod retention;
pub mod review;
pub mod settings;
pub mod shop_export;
pub mod shops;
pub mod staff;
pub mod staff_mail;
pub mod team;

use std::sync::Arc;

use platform_auth::{Hasher, LockoutBook, LoginPolicy, NetworkLimiter};
use platform_tenancy::TenantDb;
use platform_vault::Vault;
use platform_web::NetworkRate;

use crate::Clock;

/// What the use cases work with.
#[derive(Clone)]
pub struct AppState {
    /// Tenant-scoped database access as `tenant_admin`.
    pub db: TenantDb,
    /// Field encryption and blind indexes.
    pub vault: Vault,
    /// Bounded password hashing.
    pub hasher: Hasher,
    /// Lockout and throttling rules.
    pub policy: LoginPolicy,
    /// Time (a manual clock in tests).
    pub clock: Clock,
    /// Failed logins per client network.
    pub limiter: Arc<NetworkLimiter>,
    /// Soft lockouts per login name and client network.
    pub lockouts: Arc<LockoutBook>,
    /// Sign-ups per client network.
    pub signups: Arc<NetworkRate>,
    /// Shops live at `<handle>.<shop_domain>`.
    pub shop_domain: Arc<str>,
    /// Public storefront port, for shop links.
    pub storefront_port: u16,
    /// The console's public address (`https://localhost:8444`), for links in mail.
    pub console_url: Arc<str>,
    /// Product pictures (none: uploads answer 503).
    pub images: Option<platform_images::ImageStore>,
    /// Fetches pictures catalog imports name by address.
    pub fetcher: images::Fetcher,
    /// The orders service (none: order pages answer 503).
    pub orders: Option<platform_orders_api::OrdersClient>,
    /// When the mail loop last went through every shop's request reminders and retention
    /// (hourly work, not on each round of the loop).
    pub housekeeping: Arc<std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>>,
}

impl AppState {
    /// Whether the hourly work is due (by the console's clock); if so, it counts as done.
    pub fn housekeeping_due(&self) -> bool {
        let now = self.clock.now();
        let mut last = self
            .housekeeping
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|at| now - at >= chrono::Duration::hours(1));
        if due {
            *last = Some(now);
        }
        due
    }

    /// The public URL of a shop served at `host`.
    pub fn storefront_url(&self, host: &str) -> String {
        if self.storefront_port == 443 {
            format!("https://{host}/")
        } else {
            format!("https://{host}:{}/", self.storefront_port)
        }
    }
}
