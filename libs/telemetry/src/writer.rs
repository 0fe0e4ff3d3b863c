//! Redaction at the two exits: the log writer and the span exporter.

use std::io::{self, Write};
use std::time::Duration;

use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use serde_json::Value as Json;
use tracing_subscriber::fmt::MakeWriter;

use crate::redact::{is_card_like, needs_redaction, redact};

/// Top-level keys of the JSON log format that the formatter itself fills and that carry
/// no input: redacting them would only mangle timestamps and module paths.
const STRUCTURAL_KEYS: [&str; 5] = ["timestamp", "level", "target", "filename", "line_number"];

/// Redacts one log line. JSON lines are walked so only values are redacted (structural
/// keys are kept); anything else is redacted as plain text.
pub fn redact_json_line(line: &str) -> String {
    if !needs_redaction(line) {
        return line.to_owned();
    }
    match serde_json::from_str::<Json>(line) {
        Ok(mut value) => {
            walk(&mut value, None, 0);
            value.to_string()
        }
        Err(_) => redact(line).into_owned(),
    }
}

fn walk(value: &mut Json, key: Option<&str>, depth: usize) {
    match value {
        Json::String(s) if !(depth == 1 && key.is_some_and(|k| STRUCTURAL_KEYS.contains(&k))) => {
            if let std::borrow::Cow::Owned(r) = redact(s) {
                *s = r;
            }
        }
        Json::Number(n) if is_card_like(n) => *value = Json::String("[card]".to_owned()),
        Json::Array(items) => items.iter_mut().for_each(|v| walk(v, None, depth + 1)),
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                walk(v, Some(k.as_str()), depth + 1);
            }
        }
        _ => {}
    }
}

/// Wraps a `MakeWriter` so every line written through it is redacted first.
#[derive(Debug, Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    /// Wraps `inner`.
    pub fn new(inner: M) -> Self {
        RedactingMakeWriter { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = LineRedactor<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        LineRedactor {
            inner: self.inner.make_writer(),
            buf: Vec::new(),
        }
    }
}

/// Buffers until a newline, then writes the redacted line.
#[derive(Debug)]
pub struct LineRedactor<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> LineRedactor<W> {
    fn emit_complete_lines(&mut self) -> io::Result<()> {
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            self.emit(&line[..line.len() - 1])?;
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }

    fn emit(&mut self, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        self.inner.write_all(redact_json_line(&text).as_bytes())
    }
}

impl<W: Write> Write for LineRedactor<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.emit_complete_lines()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit_complete_lines()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for LineRedactor<W> {
    fn drop(&mut self) {
        let _ = self.emit_complete_lines();
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            let _ = self.emit(&rest);
        }
        let _ = self.inner.flush();
    }
}

/// A span processor that redacts attribute values, event names and event attributes of
/// every finished span before handing it to the next processor (the OTLP batcher).
#[derive(Debug)]
pub struct RedactingSpanProcessor<P> {
    next: P,
}

impl<P> RedactingSpanProcessor<P> {
    /// Wraps `next`.
    pub fn new(next: P) -> Self {
        RedactingSpanProcessor { next }
    }
}

fn redact_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = redact(s.as_str()) {
                *s = StringValue::from(r);
            }
        }
        Value::I64(n) if (13..=19).contains(&n.unsigned_abs().to_string().len()) => {
            *value = Value::String(StringValue::from("[card]"));
        }
        _ => {}
    }
}

fn redact_attributes(attributes: &mut [KeyValue]) {
    for kv in attributes {
        redact_value(&mut kv.value);
    }
}

impl<P: SpanProcessor> SpanProcessor for RedactingSpanProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.next.on_start(span, cx);
    }

    fn on_end(&self, mut span: SpanData) {
        redact_attributes(&mut span.attributes);
        for event in span.events.events.iter_mut() {
            if let std::borrow::Cow::Owned(r) = redact(&event.name) {
                event.name = r.into();
            }
            redact_attributes(&mut event.attributes);
        }
        if let opentelemetry::trace::Status::Error { description } = &mut span.status
            && let std::borrow::Cow::Owned(r) = redact(description)
        {
            *description = r.into();
        }
        self.next.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.next.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.next.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.next.set_resource(resource);
    }
}
