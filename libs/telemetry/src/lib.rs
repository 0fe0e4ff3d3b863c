//! Telemetry: `tracing` JSON logs, OpenTelemetry traces and metrics, and redaction.
//!
//! [`init`] installs, for one service: an env-filtered JSON log to stdout whose every line
//! goes through [`redact`] (so emails, phone numbers, card-like numbers and IP addresses
//! never reach a log line in clear, whoever wrote the log call), and, only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OTLP/HTTP exporters for traces and metrics. Span
//! attributes and events pass through the same redaction before export. With the variable
//! unset nothing leaves the process.
//!
//! What this crate must never do: let a log line or exported span bypass redaction, or
//! contact any endpoint the operator did not configure.

mod redact;
mod writer;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

pub use redact::redact;
pub use writer::{RedactingMakeWriter, RedactingSpanProcessor, redact_json_line};

/// The variable that switches OTLP export on (standard OpenTelemetry name).
pub const OTLP_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Errors while installing telemetry.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// `RUST_LOG` does not parse.
    #[error("RUST_LOG is not a valid filter")]
    Filter(#[source] tracing_subscriber::filter::ParseError),
    /// The OTLP exporter could not be built.
    #[error("OTLP exporter ({OTLP_ENDPOINT_VAR})")]
    Exporter(#[source] opentelemetry_otlp::ExporterBuildError),
    /// A global subscriber was already installed.
    #[error("telemetry already initialised")]
    AlreadyInitialised,
}

/// Keeps exporters alive; flushes and shuts them down when dropped (at process exit).
#[must_use = "dropping the guard shuts telemetry export down"]
#[derive(Default)]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
    // Flushes the log writer thread on drop.
    log_writer: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl std::fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("otlp", &self.tracer.is_some())
            .finish()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take() {
            let _ = tracer.shutdown();
        }
        if let Some(meter) = self.meter.take() {
            let _ = meter.shutdown();
        }
        drop(self.log_writer.take());
    }
}

/// The JSON log layer with redaction, writing to `make_writer`. Exposed so tests (and
/// tools) can capture exactly what a service would print.
pub fn json_layer<S, W>(make_writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(RedactingMakeWriter::new(make_writer))
}

/// Installs logging (and OTLP export when configured) for `service` as the global default.
pub fn init(service: &'static str) -> Result<TelemetryGuard, TelemetryError> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new("info,sqlx=warn,h2=warn,hyper=warn"))
        .map_err(TelemetryError::Filter)?;
    let mut guard = TelemetryGuard::default();
    let otel = match std::env::var(OTLP_ENDPOINT_VAR) {
        Ok(endpoint) if !endpoint.trim().is_empty() => {
            let (tracer, meter) = otlp_providers(service)?;
            let layer = tracing_opentelemetry::layer().with_tracer(tracer.tracer(service));
            opentelemetry::global::set_meter_provider(meter.clone());
            guard.tracer = Some(tracer);
            guard.meter = Some(meter);
            Some(layer)
        }
        _ => None,
    };
    // Lines are formatted and redacted on the calling thread; a dedicated thread writes
    // them, so request threads never wait on stdout. If that thread falls behind by more
    // than its buffer, lines are dropped rather than requests slowed (counted by the
    // appender), which is the trade-off we want for access logs. The thread writes
    // whatever lines are waiting in one system call (it flushes each time the queue is
    // empty), not one per line.
    let (stdout, log_guard) =
        tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stdout()));
    guard.log_writer = Some(log_guard);
    Registry::default()
        .with(filter)
        .with(json_layer(stdout))
        .with(otel)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInitialised)?;
    Ok(guard)
}

fn otlp_providers(
    service: &'static str,
) -> Result<(SdkTracerProvider, SdkMeterProvider), TelemetryError> {
    let resource = Resource::builder().with_service_name(service).build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(TelemetryError::Exporter)?;
    let tracer = SdkTracerProvider::builder()
        .with_span_processor(RedactingSpanProcessor::new(
            BatchSpanProcessor::builder(spans).build(),
        ))
        .with_resource(resource.clone())
        .build();
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .build()
        .map_err(TelemetryError::Exporter)?;
    let meter = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(metrics).build())
        .with_resource(resource)
        .build();
    Ok((tracer, meter))
}

/// The meter of a service or library, for counters and histograms (no-op unless OTLP
/// export is configured).
pub fn meter(name: &'static str) -> opentelemetry::metrics::Meter {
    opentelemetry::global::meter(name)
}
