//! The cart's error codes: a closed set both sides name by variant.

platform_domain::error_codes! {
    #[doc = "A stable code the cart answers a refusal with (`{\"error\": {\"code\": …}}`)."]
    /// An id in the path is malformed (400).
    MalformedId = "cart.malformed_id",
    /// A quantity outside 1..=999 (422).
    QuantityInvalid = "cart.quantity_invalid",
    /// The cart already has 100 lines (422).
    LineLimit = "cart.line_limit",
    /// The variant is not sold by this shop (422).
    VariantUnavailable = "cart.variant_unavailable",
    /// Not enough stock (409).
    InsufficientStock = "cart.insufficient_stock",
    /// No such line in the cart (404).
    NoSuchLine = "cart.no_such_line",
    /// A checkout-draft field is too long or has control characters (422).
    PrefillInvalid = "cart.prefill_invalid",
    /// The draft's email does not look like one (422).
    PrefillEmailInvalid = "cart.prefill_email_invalid",
    /// The draft's phone has other characters than digits, spaces and + - ( ) (422).
    PrefillPhoneInvalid = "cart.prefill_phone_invalid",
    /// The draft's country is not a two-letter code (422).
    PrefillCountryInvalid = "cart.prefill_country_invalid",
    /// Redis is away (503).
    Unavailable = "cart.unavailable",
    /// A refusal this version of the contract does not know.
    Refused = "cart.refused",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(code.as_str().starts_with("cart."));
        }
        assert_eq!(ErrorCode::parse("cart.nonsense"), None);
    }
}
