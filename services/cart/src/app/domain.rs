//! Cart domain types: built valid or not at all. Nothing here knows Redis or HTTP.

use platform_cart_api::{CartId, ErrorCode, Prefill, VariantId};
use platform_domain::{CheckoutField, CheckoutFields, contact};

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
    /// Stable code.
    pub code: ErrorCode,
    /// Public message.
    pub message: &'static str,
}

const fn invalid(code: ErrorCode, message: &'static str) -> Invalid {
    Invalid { code, message }
}

/// A variant id from a request.
pub fn parse_variant(text: &str) -> Result<VariantId, Invalid> {
    text.parse().map_err(|_| {
        invalid(
            ErrorCode::MalformedId,
            "The product variant id is malformed.",
        )
    })
}

/// A cart id from a request.
pub fn parse_cart(text: &str) -> Result<CartId, Invalid> {
    CartId::parse(text).map_err(|_| invalid(ErrorCode::MalformedId, "The cart id is malformed."))
}

/// A line quantity, 1..=999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    /// Checks the range.
    pub fn parse(n: i64) -> Result<Self, Invalid> {
        match u32::try_from(n) {
            Ok(q) if (1..=MAX_QUANTITY).contains(&q) => Ok(Quantity(q)),
            _ => Err(Self::too_many()),
        }
    }

    /// The refusal of a quantity out of range (also when a line would grow past it).
    pub fn too_many() -> Invalid {
        invalid(
            ErrorCode::QuantityInvalid,
            "Quantity must be between 1 and 999.",
        )
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A checked checkout draft: every field trimmed, bounded and of the right shape; blank
/// fields stay blank (O2: a visitor may leave optional ones out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPrefill(Prefill);

impl ValidPrefill {
    /// Checks a draft from the wire.
    pub fn parse(mut draft: Prefill) -> Result<Self, Invalid> {
        let p = &mut draft;
        for field in [
            &mut p.name,
            &mut p.email,
            &mut p.phone,
            &mut p.address_line1,
            &mut p.address_line2,
            &mut p.postal_code,
            &mut p.city,
            &mut p.country,
        ] {
            *field = field.trim().to_owned();
            if !contact::is_plain_field(field) {
                return Err(invalid(
                    ErrorCode::PrefillInvalid,
                    "A field is too long or contains control characters.",
                ));
            }
        }
        if !p.email.is_empty() && !contact::is_plausible_email(&p.email) {
            return Err(invalid(
                ErrorCode::PrefillEmailInvalid,
                "The email address does not look right.",
            ));
        }
        if !p.phone.is_empty() && !contact::is_plausible_phone(&p.phone) {
            return Err(invalid(
                ErrorCode::PrefillPhoneInvalid,
                "A phone number has digits, spaces and + - ( ) only.",
            ));
        }
        p.age_band = p.age_band.trim().to_owned();
        if !matches!(p.age_band.as_str(), "" | "13_plus" | "under_13") {
            return Err(invalid(
                ErrorCode::PrefillInvalid,
                "The age band is 13_plus or under_13.",
            ));
        }
        p.guardian = p.guardian.trim().to_owned();
        if p.guardian.len() > 64
            || !p
                .guardian
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || (p.guardian.is_empty() != (p.age_band != "under_13"))
        {
            return Err(invalid(
                ErrorCode::PrefillInvalid,
                "A guardian's consent goes with the age band under_13 only.",
            ));
        }
        p.country = p.country.to_ascii_uppercase();
        let country_ok = p.country.is_empty()
            || (p.country.len() == 2 && p.country.bytes().all(|b| b.is_ascii_uppercase()));
        if !country_ok {
            return Err(invalid(
                ErrorCode::PrefillCountryInvalid,
                "The country is a two-letter code such as DE or US.",
            ));
        }
        Ok(ValidPrefill(draft))
    }

    /// True when every field is blank.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The draft without the fields the shop does not ask for (O2): a hidden field sent
    /// anyway is dropped, never kept.
    pub fn minimised(mut self, fields: &CheckoutFields) -> Self {
        let p = &mut self.0;
        let hidden = |f: CheckoutField| !fields.rule(f).is_collected();
        if hidden(CheckoutField::Name) {
            p.name.clear();
        }
        if hidden(CheckoutField::Email) {
            p.email.clear();
        }
        if hidden(CheckoutField::Phone) {
            p.phone.clear();
        }
        if hidden(CheckoutField::Address) {
            for line in [
                &mut p.address_line1,
                &mut p.address_line2,
                &mut p.postal_code,
                &mut p.city,
                &mut p.country,
            ] {
                line.clear();
            }
        }
        self
    }

    /// The checked draft.
    pub fn get(&self) -> &Prefill {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_requests_are_parsed_before_use() {
        assert_eq!(
            parse_variant("..%2F..%2Fx").map_err(|e| e.code),
            Err(ErrorCode::MalformedId)
        );
        assert_eq!(
            parse_cart("../../x").map_err(|e| e.code),
            Err(ErrorCode::MalformedId)
        );
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
        let p = ValidPrefill::parse(Prefill {
            name: "  Ada  ".into(),
            email: "ada@example.org".into(),
            country: "de".into(),
            ..Prefill::default()
        })
        .unwrap();
        assert_eq!(p.get().name, "Ada");
        assert_eq!(p.get().country, "DE");
        let bad = Prefill {
            email: "nope".into(),
            ..Prefill::default()
        };
        assert_eq!(
            ValidPrefill::parse(bad).unwrap_err().code,
            ErrorCode::PrefillEmailInvalid
        );
    }

    #[test]
    fn a_guardians_consent_goes_with_under_13_only() {
        let with = |age_band: &str, guardian: &str| {
            ValidPrefill::parse(Prefill {
                age_band: age_band.into(),
                guardian: guardian.into(),
                ..Prefill::default()
            })
            .is_ok()
        };
        assert!(with("", ""));
        assert!(with("13_plus", ""));
        assert!(with("under_13", "abc-DEF_123"));
        assert!(!with("under_13", ""), "a child's details need a consent");
        assert!(!with("13_plus", "abc"));
        assert!(!with("twelve", ""));
        assert!(!with("under_13", "a/b"));
        assert!(!with("under_13", &"a".repeat(65)));
    }
}
