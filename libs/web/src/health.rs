//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: its dependencies
//! answer too, so a load balancer stops sending traffic when Postgres or Redis is gone).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use futures_util::future::{BoxFuture, join_all};
use serde_json::{Map, Value, json};

type CheckFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// One dependency check: a name and an async probe.
#[derive(Clone)]
pub struct ReadinessCheck {
    name: &'static str,
    probe: Arc<CheckFn>,
}

impl ReadinessCheck {
    /// A check named `name` (shown in `/readyz`) running `probe`.
    pub fn new<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        ReadinessCheck {
            name,
            probe: Arc::new(move || Box::pin(probe())),
        }
    }
}

/// The set of checks behind `/readyz`.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<ReadinessCheck>,
}

/// How long one probe may take before the dependency counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Readiness {
    /// No checks yet.
    pub fn new() -> Self {
        Readiness::default()
    }

    /// Adds a check.
    pub fn with(mut self, check: ReadinessCheck) -> Self {
        self.checks.push(check);
        self
    }

    /// Runs every check concurrently; returns each name with its outcome.
    pub async fn run(&self) -> Vec<(&'static str, bool)> {
        let probes = self.checks.iter().map(|c| async move {
            let outcome = tokio::time::timeout(PROBE_TIMEOUT, (c.probe)()).await;
            let ok = match outcome {
                Ok(Ok(())) => true,
                Ok(Err(reason)) => {
                    tracing::warn!(dependency = c.name, %reason, "readiness check failed");
                    false
                }
                Err(_) => {
                    tracing::warn!(dependency = c.name, "readiness check timed out");
                    false
                }
            };
            (c.name, ok)
        });
        join_all(probes).await
    }
}

pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    let results = readiness.run().await;
    let ready = results.iter().all(|(_, ok)| *ok);
    let checks: Map<String, Value> = results
        .into_iter()
        .map(|(name, ok)| {
            (
                name.to_owned(),
                Value::from(if ok { "ok" } else { "failed" }),
            )
        })
        .collect();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ready { "ready" } else { "not_ready" }, "checks": checks });
    (status, Json(body))
}
