//! Cross-site request forgery defences (O9). A session carries a random token that every
//! unsafe request must present: API calls in the `x-csrf-token` header, console forms in a
//! `csrf` field. Forms shown before a session exists (login, sign-up) use a double-submit
//! token: a random value both in a `SameSite=Strict` cookie and in the form.

use axum::http::{HeaderMap, HeaderValue, Method};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::{Token, secrets_equal};

/// The header API calls carry the session's token in.
pub const HEADER: &str = "x-csrf-token";

/// GET, HEAD and OPTIONS change nothing and need no token.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request's `x-csrf-token` equals `expected` (constant time).
pub fn header_matches(headers: &HeaderMap, expected: &str) -> bool {
    let presented = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    secrets_equal(presented, expected)
}

/// The double-submit token of forms shown before login.
#[derive(Debug, Clone, Copy)]
pub struct DoubleSubmit {
    cookie: &'static str,
}

impl DoubleSubmit {
    /// Tokens kept in the cookie `cookie` (use a `__Host-` name).
    pub const fn new(cookie: &'static str) -> Self {
        DoubleSubmit { cookie }
    }

    /// A fresh token for a form, and the `Set-Cookie` that pairs with it.
    pub fn issue(&self) -> (String, HeaderValue) {
        let token = Token::generate().as_str().to_owned();
        let cookie = Cookie::build((self.cookie, token.clone()))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build();
        // A fixed name and base64url text: always a valid header value.
        let header =
            HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""));
        (token, header)
    }

    /// The form's token equals the cookie's (constant time), and neither is empty.
    pub fn check(&self, headers: &HeaderMap, submitted: &str) -> bool {
        CookieJar::from_headers(headers)
            .get(self.cookie)
            .is_some_and(|c| !submitted.is_empty() && secrets_equal(c.value(), submitted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn double_submit_tokens_match_their_cookie_only() {
        let ds = DoubleSubmit::new("__Host-f");
        let (token, set) = ds.issue();
        assert!(set.to_str().unwrap().contains("SameSite=Strict"));
        let mut h = HeaderMap::new();
        let cookie = format!("__Host-f={token}");
        h.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert!(ds.check(&h, &token));
        assert!(!ds.check(&h, "other"));
        assert!(!ds.check(&h, ""));
        assert!(!ds.check(&HeaderMap::new(), &token));
    }
}
