//! The per-account lockout policy of logins.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The login throttling rules.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Consecutive failures allowed before the soft lockout starts.
    pub free_failures: u32,
    /// Longest soft-lockout delay.
    pub max_delay: Duration,
    /// Hard cap of failed attempts per account in any rolling hour.
    pub hourly_failures: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            free_failures: 5,
            max_delay: Duration::from_secs(60),
            hourly_failures: 100,
        }
    }
}

impl LoginPolicy {
    /// After `streak` consecutive failures ending at `now`, until when are attempts
    /// refused without checking the password? Doubling from one second, capped.
    pub fn locked_until(&self, streak: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if streak < self.free_failures {
            return None;
        }
        let exp = (streak - self.free_failures).min(16);
        let delay = Duration::from_secs(1u64 << exp).min(self.max_delay);
        chrono::Duration::from_std(delay).ok().map(|d| now + d)
    }
}
