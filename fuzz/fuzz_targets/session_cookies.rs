//! Session cookies from any `Cookie` header bytes: never a panic; a session read back
//! has a scope without the separator and a well-formed token.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use platform_auth::{SessionCookie, Token};

fuzz_target!(|bytes: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(bytes) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, value);
    let cookie = SessionCookie::new("__Host-admin_session", chrono::Duration::hours(12));
    if let Some((scope, token)) = cookie.read(&headers) {
        assert!(!scope.contains(';'));
        assert!(Token::parse(token.as_str()).is_some());
    }
    let _ = Token::parse(&String::from_utf8_lossy(bytes));
});
