//! The soft lockout, kept per (login name, client network): a person who mistypes their
//! password waits, a stranger elsewhere cannot make the owner wait, and an unknown login
//! name is locked exactly like a known one, so the answer never tells which exists.
//! The per-account hourly cap (in the service's database) still bounds guessing across
//! networks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{LoginPolicy, limiter::network_of};

/// Most keys remembered; beyond it, keys not locked any more are dropped.
const MAX_KEYS: usize = 100_000;

type Key = ([u8; 32], IpAddr);

/// A failure streak and the end of its lockout.
type Streak = (u32, Option<DateTime<Utc>>);

/// Failure streaks per (login name, network), in memory.
#[derive(Debug, Default)]
pub struct LockoutBook {
    entries: Mutex<HashMap<Key, Streak>>,
}

fn key(login: &str, ip: IpAddr) -> Key {
    // The login name is kept only as a digest.
    (Sha256::digest(login.as_bytes()).into(), network_of(ip))
}

impl LockoutBook {
    /// Until when attempts for `login` from `ip`'s network are refused unchecked.
    pub fn locked_until(
        &self,
        login: &str,
        ip: IpAddr,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&key(login, ip))
            .and_then(|(_, until)| *until)
            .filter(|until| *until > now)
    }

    /// Counts a failure; the streak decides the next delay under `policy`.
    pub fn fail(&self, policy: &LoginPolicy, login: &str, ip: IpAddr, now: DateTime<Utc>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > MAX_KEYS {
                entries.retain(|_, (_, until)| until.is_some_and(|u| u > now));
            }
            let entry = entries.entry(key(login, ip)).or_insert((0, None));
            entry.0 += 1;
            entry.1 = policy.locked_until(entry.0, now);
        }
    }

    /// Forgets the streak after a success.
    pub fn succeed(&self, login: &str, ip: IpAddr) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&key(login, ip));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o9_a_stranger_elsewhere_cannot_lock_the_owner_out() {
        let (book, policy, now) = (LockoutBook::default(), LoginPolicy::default(), Utc::now());
        let stranger: IpAddr = "203.0.113.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let owner: IpAddr = "198.51.100.20"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        for _ in 0..20 {
            book.fail(&policy, "shop\nowner@example.org", stranger, now);
        }
        assert!(
            book.locked_until("shop\nowner@example.org", stranger, now)
                .is_some()
        );
        assert_eq!(
            book.locked_until("shop\nowner@example.org", owner, now),
            None
        );
        // Unknown or known, the same name gets the same treatment.
        for _ in 0..5 {
            book.fail(&policy, "shop\nnobody@example.org", stranger, now);
        }
        assert!(
            book.locked_until("shop\nnobody@example.org", stranger, now)
                .is_some()
        );
        book.succeed("shop\nowner@example.org", stranger);
        assert_eq!(
            book.locked_until("shop\nowner@example.org", stranger, now),
            None
        );
    }
}
