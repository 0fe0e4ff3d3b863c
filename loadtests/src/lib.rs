//! Shared pieces of the load generators: latency recording and summaries.
//!
//! Every scenario measures its baseline in the same run, so the ratio is meaningful on
//! whatever machine runs it. Results are printed as JSON and copied by hand into
//! `docs/benchmarks.md` together with the command and the machine.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

/// An HTTPS client for the seeded load shops (`load-0001.shop.localhost`…) on the local
/// storefront at `port`, trusting the dev CA `ca`: HTTP/1, one idle connection per host
/// (as a browser per shop), ten-second timeouts.
pub fn shop_client(ca: &str, port: u16, tenants: usize) -> anyhow::Result<reqwest::Client> {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut b = platform_testkit::https_client(ca)?
        .http1_only()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10));
    for t in 1..=tenants {
        b = b.resolve(&format!("load-{t:04}.shop.localhost"), addr);
    }
    Ok(b.build()?)
}

/// Latencies of one measured path.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<Duration>,
    total: Duration,
}

impl Latencies {
    /// Records one operation.
    pub fn record(&mut self, d: Duration) {
        self.samples.push(d);
        self.total += d;
    }

    /// Adds another recorder's samples.
    pub fn merge(&mut self, other: &Latencies) {
        self.samples.extend_from_slice(&other.samples);
        self.total += other.total;
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The `q` quantile (0.0..=1.0), nearest-rank.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// Mean latency.
    pub fn mean(&self) -> Duration {
        if self.samples.is_empty() {
            Duration::ZERO
        } else {
            self.total / self.samples.len() as u32
        }
    }

    /// A JSON summary (microseconds; operations per second of one sequential client).
    pub fn summary(&self) -> serde_json::Value {
        let us = |d: Duration| (d.as_secs_f64() * 1e6 * 10.0).round() / 10.0;
        json!({
            "n": self.len(),
            "mean_us": us(self.mean()),
            "p50_us": us(self.quantile(0.50)),
            "p99_us": us(self.quantile(0.99)),
            "ops_per_s": if self.total.is_zero() { 0.0 } else { (self.len() as f64 / self.total.as_secs_f64()).round() },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut l = Latencies::default();
        for ms in 1..=100 {
            l.record(Duration::from_millis(ms));
        }
        assert_eq!(l.quantile(0.5), Duration::from_millis(50));
        assert_eq!(l.quantile(0.99), Duration::from_millis(99));
        assert_eq!(l.quantile(1.0), Duration::from_millis(100));
        assert_eq!(l.mean(), Duration::from_micros(50_500));
    }
}
