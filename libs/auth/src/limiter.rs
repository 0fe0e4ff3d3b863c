//! Failed attempts per client network in a fixed window (O9): a network that fails too
//! often is told to wait, whoever it claims to be.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// The network an address belongs to (IPv4 /24, IPv6 /48): what a limit is keyed on, and
/// what logs may keep (O5).
pub use platform_web::truncate_ip as network_of;

/// Failures per client network in a fixed window.
#[derive(Debug)]
pub struct NetworkLimiter {
    windows: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
    budget: u32,
    window: Duration,
}

impl NetworkLimiter {
    /// A limiter allowing `budget` failures per network per `window`.
    pub fn new(budget: u32, window: Duration) -> Self {
        NetworkLimiter {
            windows: Mutex::new(HashMap::new()),
            budget,
            window,
        }
    }

    /// Seconds to wait if this address's network is over its budget.
    pub fn blocked_for(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<u32> {
        let windows = self.windows.lock().ok()?;
        let (start, n) = windows.get(&network_of(ip))?;
        let ends = *start + self.window;
        (*n >= self.budget && ends > now).then(|| (ends - now).num_seconds().max(1) as u32)
    }

    /// Counts one failure of this address's network.
    pub fn fail(&self, ip: IpAddr, now: DateTime<Utc>) {
        if let Ok(mut windows) = self.windows.lock() {
            if windows.len() > 100_000 {
                let window = self.window;
                windows.retain(|_, (start, _)| *start + window > now);
            }
            let entry = windows.entry(network_of(ip)).or_insert((now, 0));
            if entry.0 + self.window <= now {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_truncate_addresses() {
        let net = |s: &str| network_of(s.parse().unwrap());
        assert_eq!(
            net("203.0.113.77"),
            "203.0.113.0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            net("2001:db8:abcd:12::1"),
            "2001:db8:abcd::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            net("::ffff:198.51.100.9"),
            "198.51.100.0".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_network_over_budget_waits_until_its_window_ends() {
        let limiter = NetworkLimiter::new(2, Duration::minutes(10));
        let now = Utc::now();
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        let neighbour: IpAddr = "198.51.100.200".parse().unwrap();
        limiter.fail(a, now);
        assert_eq!(limiter.blocked_for(a, now), None);
        limiter.fail(neighbour, now);
        assert_eq!(limiter.blocked_for(a, now), Some(600), "same /24");
        let other: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(limiter.blocked_for(other, now), None);
        assert_eq!(limiter.blocked_for(a, now + Duration::minutes(10)), None);
    }
}
