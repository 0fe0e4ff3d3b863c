//! Why an input was refused.

use std::borrow::Cow;

/// A refused input: a stable machine-readable code (`"currency.unknown"`) and a message
/// fit for the person who typed it. Services map it to a 4xx in their error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Invalid {
    /// Stable code.
    pub code: &'static str,
    /// Public message.
    pub message: Cow<'static, str>,
}

impl Invalid {
    /// A refusal with its code and message.
    pub fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Invalid {
            code,
            message: message.into(),
        }
    }
}
