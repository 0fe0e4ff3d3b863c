//! Parsed, valid values of the console: built only through `parse`, so use cases never
//! hold an unchecked handle, email or text. Values shared with other services (money,
//! ids, statuses) live in `libs/domain`.

use std::fmt;

pub use platform_domain::Invalid;
use platform_domain::ProductStatus;

fn invalid(code: &'static str, message: impl Into<std::borrow::Cow<'static, str>>) -> Invalid {
    Invalid::new(code, message)
}

/// Handles that would collide with platform host names or confuse visitors.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "cdn",
    "checkout",
    "dashboard",
    "dev",
    "help",
    "internal",
    "localhost",
    "login",
    "logout",
    "mail",
    "platform",
    "root",
    "security",
    "shop",
    "signup",
    "static",
    "status",
    "store",
    "support",
    "system",
    "test",
    "www",
];

/// A shop handle: 3–40 characters of `a-z`, `0-9` and inner hyphens, not reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopHandle(String);

impl ShopHandle {
    /// Parses a handle typed by a merchant (case and surrounding spaces forgiven).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let h = raw.trim().to_ascii_lowercase();
        if !(3..=40).contains(&h.len()) {
            return Err(invalid(
                "signup.handle_length",
                "The shop handle must have 3 to 40 characters.",
            ));
        }
        if !h
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "signup.handle_charset",
                "The shop handle may only use letters a–z, digits and hyphens.",
            ));
        }
        if h.starts_with('-') || h.ends_with('-') || h.contains("--") {
            return Err(invalid(
                "signup.handle_charset",
                "The shop handle cannot start or end with a hyphen or contain two in a row.",
            ));
        }
        if RESERVED.contains(&h.as_str()) {
            return Err(invalid(
                "signup.handle_reserved",
                format!("“{h}” is reserved; please choose another handle."),
            ));
        }
        Ok(ShopHandle(h))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host name under which a shop is served: lowercase DNS labels, 1–253 characters.
pub fn parse_host_name(raw: &str) -> Result<String, Invalid> {
    let h = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if !platform_domain::is_dns_name(&h) || !h.contains('.') {
        return Err(invalid(
            "host.invalid",
            format!("“{}” is not a valid host name.", raw.trim()),
        ));
    }
    Ok(h)
}

/// An email address, normalised (trimmed, lowercased) for equality lookups.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(..)")
    }
}

impl Email {
    /// Parses an address: one `@`, a dotted domain, no spaces, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let e = raw.trim().to_lowercase();
        let bad = || invalid("email.invalid", "Please enter a valid email address.");
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = e.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Email(e))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product or collection handle (URL slug): 1–100 of `a-z`, `0-9` and inner hyphens.
pub fn parse_slug(raw: &str, code: &'static str) -> Result<String, Invalid> {
    let s = raw.trim().to_ascii_lowercase();
    let ok = (1..=100).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(invalid(
            code,
            "Handles use 1–100 letters a–z, digits and inner hyphens.",
        ))
    }
}

/// Turns a title into a slug ("Blue Mug, large" → "blue-mug-large").
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(100).collect()
}

/// A trimmed text of `min..=max` characters.
pub fn parse_text(
    raw: &str,
    min: usize,
    max: usize,
    code: &'static str,
    what: &str,
) -> Result<String, Invalid> {
    let t = raw.trim().to_owned();
    if platform_web::has_control_character(&t) {
        return Err(invalid(
            "text.control_character",
            format!("{what} holds a control character (such as NUL) that is not allowed."),
        ));
    }
    let n = t.chars().count();
    if n < min || n > max {
        return Err(invalid(
            code,
            format!("{what} must have {min} to {max} characters."),
        ));
    }
    Ok(t)
}

/// Text of paragraphs (a description, a policy): its line ends and blank lines put in
/// the one stored form (`platform_domain::normalise_prose`) whether a browser, the API or
/// a CSV file sent it, then checked like [`parse_text`].
pub fn parse_prose(
    raw: &str,
    min: usize,
    max: usize,
    code: &'static str,
    what: &str,
) -> Result<String, Invalid> {
    parse_text(&platform_domain::normalise_prose(raw), min, max, code, what)
}

/// A SKU: 1–64 of letters, digits, `.`, `_`, `-`.
pub fn parse_sku(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim().to_owned();
    if (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        Ok(s)
    } else {
        Err(invalid(
            "variant.sku_invalid",
            "A SKU uses 1–64 letters, digits, dots, underscores or hyphens.",
        ))
    }
}

/// An image URL: absolute https (or http for local development), at most 2,000 characters.
pub fn parse_image_url(raw: &str) -> Result<String, Invalid> {
    let u = raw.trim();
    let ok = u.len() <= 2000
        && (u.starts_with("https://") || u.starts_with("http://"))
        && !u
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if ok {
        Ok(u.to_owned())
    } else {
        Err(invalid(
            "product.image_url_invalid",
            format!("“{u}” is not an http(s) image URL."),
        ))
    }
}

/// A product status typed by a merchant.
pub fn parse_status(raw: &str) -> Result<ProductStatus, Invalid> {
    ProductStatus::parse(raw.trim()).ok_or_else(|| {
        invalid(
            "product.status_invalid",
            "The status is draft, active or archived.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_validated_with_clear_codes() {
        assert_eq!(ShopHandle::parse(" My-Shop ").unwrap().as_str(), "my-shop");
        assert_eq!(
            ShopHandle::parse("ab").unwrap_err().code,
            "signup.handle_length"
        );
        assert_eq!(
            ShopHandle::parse("bad_handle").unwrap_err().code,
            "signup.handle_charset"
        );
        assert_eq!(
            ShopHandle::parse("-abc").unwrap_err().code,
            "signup.handle_charset"
        );
        assert_eq!(
            ShopHandle::parse("admin").unwrap_err().code,
            "signup.handle_reserved"
        );
        assert_eq!(
            ShopHandle::parse("shöp").unwrap_err().code,
            "signup.handle_charset"
        );
    }

    #[test]
    fn other_values() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("no-at-sign").is_err());
        assert!(Email::parse("a b@example.com").is_err());
        assert_eq!(parse_host_name("Shop.Localhost").unwrap(), "shop.localhost");
        assert!(parse_host_name("bad_host.localhost").is_err());
        assert_eq!(slugify("Blue Mug, large!"), "blue-mug-large");
        assert!(parse_sku("MUG-01.b_2").is_ok());
        assert!(parse_sku("has space").is_err());
        assert!(parse_image_url("javascript:alert(1)").is_err());
    }
}
