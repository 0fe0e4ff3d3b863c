//! Shape checks of contact details a visitor types: one rule for the cart's draft and the
//! order, so a draft the cart kept is never refused at checkout.

/// The longest text field a visitor may type (name, address line, city…), in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// Trimmed, at most [`MAX_FIELD_CHARS`] characters and free of control characters.
pub fn is_plain_field(text: &str) -> bool {
    text.chars().count() <= MAX_FIELD_CHARS && !text.chars().any(char::is_control)
}

/// An address that can receive mail: one `@`, a local part and a dotted domain, at most
/// 254 bytes (RFC 5321). Deliverability is the mail server's to judge.
pub fn is_plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        })
}

/// Digits, spaces and `+ - ( ) .` only.
pub fn is_plausible_phone(phone: &str) -> bool {
    phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// The form of an email address its blind index is computed over: trimmed, lower case.
pub fn normalised_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_shapes() {
        assert!(is_plausible_email("ada@example.org"));
        for bad in [
            "",
            "ada",
            "@example.org",
            "ada@example",
            "a@b@c.d",
            "a da@x.org",
            "a@.org",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        assert!(is_plausible_phone("+49 (30) 123-456"));
        assert!(!is_plausible_phone("call me"));
        assert!(is_plain_field("Hauptstraße 1"));
        assert!(!is_plain_field("a\u{0}b"));
        assert_eq!(normalised_email(" Ada@Example.ORG "), "ada@example.org");
    }
}
