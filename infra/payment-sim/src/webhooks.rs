//! Webhooks: each event posted, signed with the processor's key, to the merchant's
//! webhook address, retried with backoff until the platform answers 2xx.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use platform_processor_api::Event;

use crate::BuildError;
use crate::state::Sim;

/// Attempts per delivery before the processor gives up.
const ATTEMPTS: u32 = 8;

/// The client that posts webhooks, trusting `ca` (the platform's listener in dev).
pub(crate) fn client(ca: Option<&Path>) -> Result<reqwest::Client, BuildError> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = ca {
        let tls = platform_web::tls::client_config(ca, None)
            .map_err(|e| BuildError::Client(e.to_string()))?;
        builder = builder.tls_backend_preconfigured(tls);
    }
    builder
        .build()
        .map_err(|e| BuildError::Client(e.to_string()))
}

/// Delivers `event` (as many copies at once as configured) in the background.
pub(crate) fn deliver(sim: Arc<Sim>, event: Event) {
    let Some(url) = sim.webhook_url(&event.payment.merchant) else {
        tracing::warn!(event = %event.id, "no webhook address for the merchant");
        return;
    };
    let Ok(body) = serde_json::to_vec(&event) else {
        return;
    };
    let body = Bytes::from(body);
    for _ in 0..sim.copies {
        let (sim, url, body, id) = (sim.clone(), url.clone(), body.clone(), event.id.clone());
        tokio::spawn(async move {
            for attempt in 0..ATTEMPTS {
                match post(&sim, &url, body.clone()).await {
                    Ok(status) if status.is_success() => return,
                    Ok(status) => {
                        tracing::info!(event = %id, status = status.as_u16(), "webhook refused");
                    }
                    Err(e) => tracing::info!(event = %id, error = %e, "webhook not delivered"),
                }
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            tracing::warn!(event = %id, "webhook given up");
        });
    }
}

async fn post(sim: &Sim, url: &str, body: Bytes) -> Result<http::StatusCode, String> {
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .map_err(|e| e.to_string())?;
    let now = u64::try_from(crate::state::now()).unwrap_or_default();
    let signed = platform_msgsign::sign_webhook(request, sim.key(), now)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = signed.into_parts();
    let mut out = sim.http.post(url).body(body);
    for (name, value) in &parts.headers {
        out = out.header(name, value);
    }
    out.send()
        .await
        .map(|r| r.status())
        .map_err(|e| e.to_string())
}
