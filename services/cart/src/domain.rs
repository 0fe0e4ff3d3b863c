//! Cart domain types: built valid or not at all. Nothing here knows Redis or HTTP.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most distinct lines in one cart.
pub const MAX_LINES: usize = 100;
/// Largest quantity of one line.
pub const MAX_QUANTITY: u32 = 999;
/// Days a cookie cart lives without activity when the shop has not chosen.
pub const DEFAULT_COOKIE_TTL_DAYS: u32 = 30;
/// Seconds a cookie-less (URL token) cart lives without activity.
pub const DEFAULT_VISIT_TTL_SECS: u64 = 2 * 60 * 60;

/// Why an input was refused, with its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    /// Stable code (`"cart.quantity_invalid"`).
    pub code: &'static str,
    /// Public message.
    pub message: &'static str,
}

const fn invalid(code: &'static str, message: &'static str) -> Invalid {
    Invalid { code, message }
}

/// A cart id: 128 random bits, written as 32 lowercase hex digits. It is the whole
/// content of the `cart` cookie and of the cookie-less URL token (O4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CartId(u128);

impl CartId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        CartId(u128::from_be_bytes(bytes))
    }

    /// Parses the 32-hex-digit form; anything else is malformed.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        const BAD: Invalid = invalid("cart.malformed_id", "The cart id is malformed.");
        if text.len() != 32
            || !text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(BAD);
        }
        u128::from_str_radix(text, 16).map(CartId).map_err(|_| BAD)
    }
}

impl std::fmt::Display for CartId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// A variant id from a request.
pub fn parse_variant(text: &str) -> Result<Uuid, Invalid> {
    Uuid::parse_str(text)
        .map_err(|_| invalid("cart.malformed_id", "The product variant id is malformed."))
}

/// A line quantity, 1..=999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    /// Checks the range.
    pub fn parse(n: i64) -> Result<Self, Invalid> {
        match u32::try_from(n) {
            Ok(q) if (1..=MAX_QUANTITY).contains(&q) => Ok(Quantity(q)),
            _ => Err(invalid(
                "cart.quantity_invalid",
                "Quantity must be between 1 and 999.",
            )),
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// How the visitor keeps the cart: a cookie (kept across visits, the shop's TTL) or a
/// token in the URL (this visit only, a short TTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `cart` cookie.
    #[default]
    Cookie,
    /// Token in the URL path and forms.
    Visit,
}

/// The checkout draft a visitor may keep with the cart (O4): contact and shipping
/// details, sealed under the shop's key before they reach Redis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefill {
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
    /// Street and number.
    #[serde(default)]
    pub address_line1: String,
    /// Apartment, suite…
    #[serde(default)]
    pub address_line2: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: String,
}

impl Prefill {
    /// Trims every field and checks lengths and shapes; blank fields stay blank (O2: a
    /// visitor may leave optional ones out).
    pub fn validated(mut self) -> Result<Self, Invalid> {
        for field in [
            &mut self.name,
            &mut self.email,
            &mut self.phone,
            &mut self.address_line1,
            &mut self.address_line2,
            &mut self.postal_code,
            &mut self.city,
            &mut self.country,
        ] {
            *field = field.trim().to_owned();
            if field.chars().count() > 200 || field.chars().any(char::is_control) {
                return Err(invalid(
                    "cart.prefill_invalid",
                    "A field is too long or contains control characters.",
                ));
            }
        }
        if !self.email.is_empty() {
            let ok = self.email.len() <= 254
                && self.email.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && domain.contains('.') && !domain.contains('@')
                });
            if !ok {
                return Err(invalid(
                    "cart.prefill_email_invalid",
                    "The email address does not look right.",
                ));
            }
        }
        if !self.phone.is_empty()
            && !self
                .phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(invalid(
                "cart.prefill_phone_invalid",
                "A phone number has digits, spaces and + - ( ) only.",
            ));
        }
        self.country = self.country.to_ascii_uppercase();
        let country_ok = self.country.is_empty()
            || (self.country.len() == 2 && self.country.bytes().all(|b| b.is_ascii_uppercase()));
        if !country_ok {
            return Err(invalid(
                "cart.prefill_country_invalid",
                "The country is a two-letter code such as DE or US.",
            ));
        }
        Ok(self)
    }

    /// True when every field is blank.
    pub fn is_empty(&self) -> bool {
        *self == Prefill::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_ids_round_trip_and_reject_other_shapes() {
        let id = CartId::random();
        assert_eq!(CartId::parse(&id.to_string()), Ok(id));
        assert_ne!(CartId::random(), id);
        for bad in ["", "abc", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert!(CartId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(1000).is_err());
        assert!(Quantity::parse(-1).is_err());
        assert_eq!(Quantity::parse(999).map(Quantity::get), Ok(999));
    }

    #[test]
    fn prefill_is_trimmed_and_checked() {
        let p = Prefill {
            name: "  Ada  ".into(),
            email: "ada@example.org".into(),
            country: "de".into(),
            ..Prefill::default()
        }
        .validated()
        .unwrap();
        assert_eq!(p.name, "Ada");
        assert_eq!(p.country, "DE");
        let bad = Prefill {
            email: "nope".into(),
            ..Prefill::default()
        };
        assert_eq!(
            bad.validated().unwrap_err().code,
            "cart.prefill_email_invalid"
        );
    }
}
