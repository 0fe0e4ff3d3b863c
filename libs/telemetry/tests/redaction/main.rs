//! Personal data fed through spans and log events never reaches the output in clear.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
use platform_telemetry::{RedactingSpanProcessor, json_layer};
use tracing_subscriber::layer::SubscriberExt;

const EMAIL: &str = "grace.hopper@example.org";
const PHONE: &str = "+1 415 555 0132";
const CARD: &str = "4242 4242 4242 4242";
const CARD_DIGITS: &str = "4242424242424242";
const IPV4: &str = "198.51.100.23";
const IPV6: &str = "2001:db8::1234:5678";

const SECRETS: [&str; 6] = [EMAIL, PHONE, CARD, CARD_DIGITS, IPV4, IPV6];

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn emit_everything() {
    let span = tracing::info_span!(
        "checkout",
        customer_email = EMAIL,
        phone = PHONE,
        client_ip = IPV4,
        tenant_id = "3f2a8c1e-1234-4567-8901-abcdef123456",
    );
    let _entered = span.enter();
    tracing::info!(
        card = CARD,
        pan = 4242424242424242u64,
        peer = IPV6,
        "order placed by {EMAIL} from {IPV4}, call {PHONE}, card {CARD_DIGITS}"
    );
    tracing::warn!(email = %EMAIL, "lookup failed");
}

#[test]
fn pii_in_spans_and_events_is_redacted_in_json_logs() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::registry().with(json_layer(move || sink.clone()));
    tracing::subscriber::with_default(subscriber, emit_everything);

    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    for secret in SECRETS {
        assert!(!out.contains(secret), "{secret} leaked into: {out}");
    }
    for marker in ["[email]", "[phone]", "[card]", "[ip]"] {
        assert!(out.contains(marker), "{marker} missing in: {out}");
    }
    // Still structured JSON, with the non-personal fields intact.
    for line in lines {
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(json["timestamp"].as_str().unwrap().contains('T'));
        assert_eq!(
            json["span"]["tenant_id"],
            "3f2a8c1e-1234-4567-8901-abcdef123456"
        );
        assert_eq!(json["span"]["name"], "checkout");
    }
}

#[test]
fn pii_in_spans_and_events_is_redacted_before_otlp_export() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(RedactingSpanProcessor::new(SimpleSpanProcessor::new(
            exporter.clone(),
        )))
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::with_default(subscriber, emit_everything);
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    let dump = format!("{:?}", spans[0]);
    for secret in SECRETS {
        assert!(
            !dump.contains(secret),
            "{secret} leaked into the exported span: {dump}"
        );
    }
    assert!(dump.contains("[email]") && dump.contains("[ip]"), "{dump}");
    assert!(dump.contains("3f2a8c1e-1234-4567-8901-abcdef123456"));
}
