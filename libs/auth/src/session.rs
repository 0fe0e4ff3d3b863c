//! Sessions: the cookie that names one, and the timeouts that end it. Where sessions are
//! stored is the service's business (staff sessions live under the shop's row-level
//! security); only the token's SHA-256 is ever stored.

use axum::http::{HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};

use crate::Token;

/// A session cookie: `<name>=<scope>.<token>`, `Secure; HttpOnly; SameSite=Strict;
/// Path=/`, where the scope says where the session is stored (the shop's id for merchant
/// staff). Use a `__Host-` name so the browser refuses it without `Secure` or with a
/// `Domain`.
#[derive(Debug, Clone, Copy)]
pub struct SessionCookie {
    name: &'static str,
    max_age: Duration,
}

impl SessionCookie {
    /// A cookie called `name` that lives at most `max_age`.
    pub const fn new(name: &'static str, max_age: Duration) -> Self {
        SessionCookie { name, max_age }
    }

    /// The cookie's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The scope and token of the request's session cookie, if it has the right shape.
    pub fn read(&self, headers: &HeaderMap) -> Option<(String, Token)> {
        let jar = CookieJar::from_headers(headers);
        let value = jar.get(self.name)?.value().to_owned();
        let (scope, token) = value.split_once('.')?;
        Some((scope.to_owned(), Token::parse(token)?))
    }

    fn header(cookie: Cookie<'_>) -> HeaderValue {
        // Built from a fixed name and base64url or UUID text only: always a valid header.
        HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
    }

    fn base(&self, value: String) -> Cookie<'static> {
        Cookie::build((self.name, value))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
    }

    /// `Set-Cookie` for a new session of `scope`.
    pub fn issue(&self, scope: &str, token: &Token) -> HeaderValue {
        let mut cookie = self.base(format!("{scope}.{}", token.as_str()));
        cookie.set_max_age(cookie::time::Duration::seconds(self.max_age.num_seconds()));
        Self::header(cookie)
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear(&self) -> HeaderValue {
        let mut cookie = self.base(String::new());
        cookie.set_max_age(cookie::time::Duration::ZERO);
        Self::header(cookie)
    }
}

/// Whether a stored session may still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Idle or too old: revoke it and ask for a login.
    Expired,
    /// Valid, seen recently.
    Fresh,
    /// Valid; record that it was seen now (not on every request: writes cost).
    Touch,
}

/// The timeouts of sessions.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Longest time without a request.
    pub idle: Duration,
    /// Longest life whatever the activity.
    pub absolute: Duration,
    /// How stale `last_seen` may get before it is written again.
    pub touch_after: Duration,
}

impl SessionLimits {
    /// 30 minutes idle, 12 hours absolute: a staff console.
    pub const STAFF: SessionLimits = SessionLimits {
        idle: Duration::minutes(30),
        absolute: Duration::hours(12),
        touch_after: Duration::seconds(30),
    };

    /// Judges a session created at `created_at` and last seen at `last_seen`.
    pub fn judge(
        &self,
        created_at: DateTime<Utc>,
        last_seen: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Freshness {
        if now - last_seen > self.idle || now - created_at > self.absolute {
            Freshness::Expired
        } else if now - last_seen > self.touch_after {
            Freshness::Touch
        } else {
            Freshness::Fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    const COOKIE: SessionCookie = SessionCookie::new("__Host-s", Duration::hours(12));

    #[test]
    fn the_cookie_is_found_by_exact_name_and_shape() {
        let token = Token::generate();
        let mut h = HeaderMap::new();
        let value = format!("a=1; __Host-s=scope.{}; b=2", token.as_str());
        h.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        let (scope, read) = COOKIE.read(&h).unwrap();
        assert_eq!((scope.as_str(), read.as_str()), ("scope", token.as_str()));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-s=scope.short"),
        );
        assert!(COOKIE.read(&h).is_none());
        h.insert(header::COOKIE, HeaderValue::from_static("s=scope.x"));
        assert!(COOKIE.read(&h).is_none());
    }

    #[test]
    fn set_cookie_is_secure_host_only_and_strict() {
        let token = Token::generate();
        let set = COOKIE.issue("t", &token);
        let set = set.to_str().unwrap();
        for part in [
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(!set.contains("Domain"));
        assert!(COOKIE.clear().to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let l = SessionLimits::STAFF;
        let now = Utc::now();
        assert_eq!(l.judge(now, now, now), Freshness::Fresh);
        assert_eq!(
            l.judge(now - Duration::minutes(5), now - Duration::minutes(1), now),
            Freshness::Touch
        );
        assert_eq!(
            l.judge(now - Duration::hours(1), now - Duration::minutes(31), now),
            Freshness::Expired
        );
        assert_eq!(
            l.judge(now - Duration::hours(13), now, now),
            Freshness::Expired
        );
    }
}
