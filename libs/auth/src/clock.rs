//! Time, injectable so tests can move it (session expiry, lockout windows).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
#[derive(Clone)]
pub struct Clock(Arc<Mutex<Option<DateTime<Utc>>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(Mutex::new(None)))
    }

    /// A clock fixed at `at` until advanced (tests).
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock(Arc::new(Mutex::new(Some(at))))
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.lock().ok().and_then(|g| *g).unwrap_or_else(Utc::now)
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut g) = self.0.lock()
            && let Some(at) = g.as_mut()
        {
            *at += by;
        }
    }
}
