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
    pattern.replace_all(text, |caps: &Captures<'_>| replacement(caps).into_owned())
}

/// True when [`redact`] would change `text`: the cheap check that lets clean log lines
/// (nearly all of them) skip the structured pass. Matches whose shape alone says what
/// [`redact`] does with them (request ids, timestamps, dotted addresses: every access
/// log line has them) are decided without the capture groups, which cost more than
/// the search itself (docs/benchmarks.md, issue 15).
pub(crate) fn needs_redaction(text: &str) -> bool {
    let Some(pattern) = PATTERN.as_ref() else {
        return true;
    };
    pattern
        .find_iter(text)
        .any(|m| match kept_by_shape(text, m.start(), m.end()) {
            Some(kept) => !kept,
            None => pattern
                .captures_at(text, m.start())
                .is_none_or(|caps| replacement(&caps) != m.as_str()),
        })
}

/// What [`replacement`] does with the match `text[start..end]`, told from its text alone
/// where the pattern's order of alternatives makes that certain: `Some(true)` kept as it
/// is, `Some(false)` replaced, `None` when only the capture groups can tell.
///
/// Only a match with a plain ASCII separator (or nothing) on both sides is decided, so
/// the alternatives' `\b` held. Then a UUID-shaped or timestamp-shaped match is the
/// `uuid` or `time` alternative (the first two, which win at their start position) and
/// is kept, and a dotted quad is the `ipv4` alternative (none before it matches digits
/// and dots only), replaced unless it is one of our own addresses or no address at all.
fn kept_by_shape(text: &str, start: usize, end: usize) -> Option<bool> {
    let separator =
        |c: Option<char>| c.is_none_or(|c| c.is_ascii() && !c.is_ascii_alphanumeric() && c != '_');
    if !separator(text[..start].chars().next_back()) || !separator(text[end..].chars().next()) {
        return None;
    }
    let whole = &text[start..end];
    let b = whole.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    let time = b.len() >= 16
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16);
    if uuid || time {
        return Some(true);
    }
    let quad = whole.split('.').count() == 4
        && whole.split('.').all(|octet| {
            (1..=3).contains(&octet.len()) && octet.bytes().all(|c| c.is_ascii_digit())
        });
    if quad {
        return Some(
            whole
                .parse::<Ipv4Addr>()
                .map_or(true, |ip| is_own(ip.into())),
        );
    }
    None
}

fn replacement<'t>(caps: &Captures<'t>) -> Cow<'t, str> {
    let whole = caps.get(0).map_or("", |m| m.as_str());
    if caps.name("uuid").is_some() || caps.name("time").is_some() {
        return Cow::Borrowed(whole);
    }
    if caps.name("email").is_some() {
        return Cow::Borrowed("[email]");
    }
    if caps.name("ipv6").is_some() {
        let candidate = whole.trim_end_matches(['.', ':']);
        return match candidate.parse::<Ipv6Addr>() {
            Ok(ip) if candidate.bytes().any(|b| b.is_ascii_digit()) && !is_own(ip.into()) => {
                Cow::Owned(format!("[ip]{}", &whole[candidate.len()..]))
            }
            _ => Cow::Borrowed(whole),
        };
    }
    if caps.name("ipv4").is_some() {
        return match whole.parse::<Ipv4Addr>() {
            Ok(ip) if !is_own(ip.into()) => Cow::Borrowed("[ip]"),
            _ => Cow::Borrowed(whole),
        };
    }
    let digits = whole.bytes().filter(u8::is_ascii_digit).count();
    match digits {
        13..=19 => Cow::Borrowed("[card]"),
        7..=12 => Cow::Borrowed("[phone]"),
        _ => Cow::Borrowed(whole),
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

    /// The shortcut of `needs_redaction` decides every match exactly as the capture
    /// groups would.
    #[test]
    fn deciding_by_shape_agrees_with_the_capture_groups() {
        use super::{PATTERN, kept_by_shape, replacement};
        let text = "ids 3f2a8c1e-1234-4567-8901-abcdef123456 12345678-1234-1234-1234-123456789012 \
                    at 2026-11-21T23:44:00.123456Z and 2026-11-21 23:44 \
                    from 127.0.0.1 203.0.113.0 203.0.113.42 999.1.2.3 10.0.0.7 0.0.0.0 \
                    call 2026-11-21 1234 or +44 20 7946 0958, card 4111 1111 1111 1111, \
                    mail a@b.example, ip6 2001:db8::1 and ::1, 1.2.3, 42, \
                    glued a127.0.0.1 x12345678-1234-1234-1234-123456789012 \
                    1.2.3.4x 203.0.113.42_";
        let pattern = PATTERN.as_ref().unwrap();
        let mut decided = 0;
        for caps in pattern.captures_iter(text) {
            let m = caps.get(0).unwrap();
            let whole = m.as_str();
            if let Some(kept) = kept_by_shape(text, m.start(), m.end()) {
                decided += 1;
                assert_eq!(kept, replacement(&caps) == whole, "{whole}");
            }
        }
        assert!(decided >= 10, "{decided}");
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
