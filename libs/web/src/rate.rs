//! Rate limits per client network (IPv4 /24, IPv6 /48), with governor's GCRA: for routes
//! anyone may call without an account (sign-up, a shop's cart forms). Refusals are
//! `429 request.rate_limited` with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{WebError, truncate_ip};

/// Networks remembered before idle ones are forgotten.
const MAX_NETWORKS: usize = 100_000;

/// A budget of requests per client network.
#[derive(Debug)]
pub struct NetworkRate {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl NetworkRate {
    /// `count` requests per network per `period`: all at once at most, then one more
    /// every `period / count`.
    pub fn new(count: u32, period: std::time::Duration) -> Arc<Self> {
        let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period / count.get())
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Arc::new(NetworkRate {
            limiter: RateLimiter::keyed(quota),
        })
    }

    /// Counts one request of `ip`'s network; `Err(seconds)` to wait when over budget.
    pub fn check(&self, ip: IpAddr) -> Result<(), u32> {
        if self.limiter.len() > MAX_NETWORKS {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&truncate_ip(ip))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ));
                u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX)
            })
    }
}

/// Middleware: counts every request but GET and HEAD against the caller's network.
pub async fn limit_unsafe(
    State(rate): State<Arc<NetworkRate>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    if let Err(wait) = rate.check(ip) {
        return WebError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "request.rate_limited",
            "Too many requests from your network. Please wait a moment and try again.",
        )
        .with_retry_after(wait)
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_over_budget_waits_and_others_do_not() {
        let rate = NetworkRate::new(3, std::time::Duration::from_secs(60));
        let a: IpAddr = "198.51.100.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let same_net: IpAddr = "198.51.100.99"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let other: IpAddr = "203.0.113.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        for _ in 0..3 {
            assert!(rate.check(a).is_ok());
        }
        assert!(rate.check(same_net).is_err(), "the /24 shares the budget");
        assert!(matches!(rate.check(a), Err(wait) if wait >= 1));
        assert!(rate.check(other).is_ok());
    }
}
