//! Redaction of personal data in free text: email addresses, phone numbers, card-like
//! numbers and IP addresses are replaced by `[email]`, `[phone]`, `[card]` and `[ip]`.
//!
//! It errs on the side of redacting: a run of 7 to 19 digits in a log string is treated as
//! a phone or card number even when it is an ordinary count, so counts belong in numeric
//! fields (which are not strings and are left alone unless card-length). UUIDs and ISO
//! timestamps are recognised first and kept, because they are everywhere in our logs and
//! identify no person. Loopback and unspecified addresses (the server's own bind
//! addresses) are kept too.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::{Captures, Regex};

static PATTERN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?P<uuid>\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b)
        | (?P<time>\b\d{4}-\d{2}-\d{2}[T\x20]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
        | (?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})
        | (?P<ipv6>[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)
        | (?P<ipv4>\b\d{1,3}(?:\.\d{1,3}){3}\b)
        | (?P<digits>\+?\(?\d[\d\x20().-]{5,}\d)
        ",
    )
    .ok()
});

/// Redacts personal data in `text`; borrows when there is nothing to redact.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Some(pattern) = PATTERN.as_ref() else {
        // The pattern is a constant that compiles; should it ever not, say nothing
        // rather than leak.
        return Cow::Borrowed("[redaction unavailable]");
    };
    pattern.replace_all(text, |caps: &Captures<'_>| replacement(caps))
}

/// True when [`redact`] would change `text`: the cheap check that lets clean log lines
/// (nearly all of them) skip the structured pass.
pub(crate) fn needs_redaction(text: &str) -> bool {
    let Some(pattern) = PATTERN.as_ref() else {
        return true;
    };
    pattern.captures_iter(text).any(|caps| {
        caps.get(0)
            .is_some_and(|m| replacement(&caps) != m.as_str())
    })
}

fn replacement(caps: &Captures<'_>) -> String {
    let whole = caps.get(0).map_or("", |m| m.as_str());
    if caps.name("uuid").is_some() || caps.name("time").is_some() {
        return whole.to_owned();
    }
    if caps.name("email").is_some() {
        return "[email]".to_owned();
    }
    if caps.name("ipv6").is_some() {
        let candidate = whole.trim_end_matches(['.', ':']);
        return match candidate.parse::<Ipv6Addr>() {
            Ok(ip) if candidate.bytes().any(|b| b.is_ascii_digit()) && !is_own(ip.into()) => {
                format!("[ip]{}", &whole[candidate.len()..])
            }
            _ => whole.to_owned(),
        };
    }
    if caps.name("ipv4").is_some() {
        return match whole.parse::<Ipv4Addr>() {
            Ok(ip) if !is_own(ip.into()) => "[ip]".to_owned(),
            _ => whole.to_owned(),
        };
    }
    let digits = whole.bytes().filter(u8::is_ascii_digit).count();
    match digits {
        13..=19 => "[card]".to_owned(),
        7..=12 => "[phone]".to_owned(),
        _ => whole.to_owned(),
    }
}

/// Addresses that identify no person: the server's own loopback and wildcard binds, and
/// network addresses (IPv4 ending in .0, IPv6 with the last 80 bits zero), which is how
/// access logs record clients after truncation (O5).
fn is_own(ip: IpAddr) -> bool {
    let network = match ip {
        IpAddr::V4(v4) => v4.octets()[3] == 0,
        IpAddr::V6(v6) => v6.segments()[3..].iter().all(|s| *s == 0),
    };
    ip.is_loopback() || ip.is_unspecified() || network
}

/// True when a JSON number looks like a card number (13 to 19 digits).
pub(crate) fn is_card_like(n: &serde_json::Number) -> bool {
    let s = n.to_string();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && (13..=19).contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn personal_data_is_replaced() {
        let cases = [
            (
                "mail ada.lovelace+shop@example.co.uk now",
                "mail [email] now",
            ),
            ("call +44 20 7946 0958 today", "call [phone] today"),
            ("call (555) 123-4567", "call [phone]"),
            ("card 4111 1111 1111 1111 declined", "card [card] declined"),
            ("card 4111-1111-1111-1111", "card [card]"),
            ("pan 4111111111111111", "pan [card]"),
            ("from 203.0.113.42:51234", "from [ip]:51234"),
            ("from 2001:db8:85a3::8a2e:370:7334 ok", "from [ip] ok"),
            ("mapped ::ffff:203.0.113.9", "mapped [ip]"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn the_fast_path_only_skips_clean_lines() {
        use super::needs_redaction;
        let clean = r#"{"timestamp":"2026-11-22T00:41:41.041488Z","level":"INFO","fields":{"client_network":"127.0.0.0","route":"/products/{handle}","status":200,"micros":1234},"target":"access","span":{"request_id":"84b894e6-58fa-4790-b1e7-6ba24cd03eca"}}"#;
        assert!(!needs_redaction(clean));
        assert!(needs_redaction(
            r#"{"fields":{"message":"from 203.0.113.9"}}"#
        ));
        assert!(needs_redaction(r#"{"fields":{"pan":4242424242424242}}"#));
        assert!(needs_redaction(r#"{"fields":{"email":"a@b.example"}}"#));
    }

    #[test]
    fn ordinary_text_is_kept() {
        for input in [
            "tenant 3f2a8c1e-1234-4567-8901-abcdef123456 ready",
            "at 2026-11-21T23:44:00.123456Z done",
            "listening on 0.0.0.0:8443 and [::1]:8080 and 127.0.0.1:5432",
            "client network 203.0.113.0 and 2001:db8:abcd::",
            "took 12:30:00",
            "module platform_web::tls started",
            "version 1.95.0, 42 rows, port 8443",
        ] {
            assert_eq!(redact(input), input, "{input}");
        }
    }
}
