//! The buyer's details checked against what the shop asks for (O2): required fields are
//! there, optional ones may be blank, and a field the shop does not ask for is refused
//! rather than stored.

use platform_domain::contact::{self, normalised_email};
use platform_domain::{CheckoutField, CheckoutFields, Country, FieldRule};
use platform_orders_api::{Address, Contact, ErrorCode};

use crate::error::OrdersError;

/// Details that passed every check: trimmed, bounded, of the right shape, and only
/// those the shop asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerDetails {
    /// How to reach the buyer.
    pub contact: Contact,
    /// Where the goods go, when the shop asks for an address.
    pub shipping: Option<(Address, Country)>,
}

impl BuyerDetails {
    /// The email as its blind index is computed, when one was given.
    pub fn email_for_index(&self) -> Option<String> {
        (!self.contact.email.is_empty()).then(|| normalised_email(&self.contact.email))
    }

    /// The destination country, when there is an address.
    pub fn country(&self) -> Option<Country> {
        self.shipping.as_ref().map(|(_, c)| *c)
    }
}

fn trimmed(text: &mut String, field: &'static str, label: &str) -> Result<(), OrdersError> {
    *text = text.trim().to_owned();
    if contact::is_plain_field(text) {
        Ok(())
    } else {
        Err(OrdersError::refused_at(
            ErrorCode::FieldInvalid,
            field,
            format!("{label} is too long or contains control characters."),
        ))
    }
}

/// The request field a checkout field is refused at (an address at its first line).
fn request_field(field: CheckoutField) -> &'static str {
    match field {
        CheckoutField::Name => "contact.name",
        CheckoutField::Email => "contact.email",
        CheckoutField::Phone => "contact.phone",
        CheckoutField::Address => "shipping.line1",
    }
}

/// Applies the shop's rule for one field to its (trimmed) value.
fn rule(fields: &CheckoutFields, field: CheckoutField, blank: bool) -> Result<(), OrdersError> {
    match (fields.rule(field), blank) {
        (FieldRule::Hidden, false) => Err(OrdersError::refused_at(
            ErrorCode::FieldNotAsked,
            request_field(field),
            format!(
                "This shop does not ask for “{}”; it was not stored.",
                field.label()
            ),
        )),
        (FieldRule::Required, true) => Err(OrdersError::refused_at(
            ErrorCode::FieldMissing,
            request_field(field),
            format!("Please fill in “{}”.", field.label()),
        )),
        _ => Ok(()),
    }
}

/// Checks the buyer's details against the shop's checkout fields.
pub fn check(
    fields: &CheckoutFields,
    mut contact: Contact,
    shipping: Option<Address>,
) -> Result<BuyerDetails, OrdersError> {
    trimmed(&mut contact.name, "contact.name", "The name")?;
    trimmed(&mut contact.email, "contact.email", "The email address")?;
    trimmed(&mut contact.phone, "contact.phone", "The phone number")?;
    rule(fields, CheckoutField::Name, contact.name.is_empty())?;
    rule(fields, CheckoutField::Email, contact.email.is_empty())?;
    rule(fields, CheckoutField::Phone, contact.phone.is_empty())?;
    if !contact.email.is_empty() && !contact::is_plausible_email(&contact.email) {
        return Err(OrdersError::refused_at(
            ErrorCode::EmailInvalid,
            "contact.email",
            "The email address does not look right.",
        ));
    }
    if !contact.phone.is_empty() && !contact::is_plausible_phone(&contact.phone) {
        return Err(OrdersError::refused_at(
            ErrorCode::PhoneInvalid,
            "contact.phone",
            "A phone number has digits, spaces and + - ( ) only.",
        ));
    }

    let shipping = match shipping {
        None => None,
        Some(mut a) => {
            for (text, field, label) in [
                (&mut a.name, "shipping.name", "The recipient's name"),
                (&mut a.line1, "shipping.line1", "The street"),
                (&mut a.line2, "shipping.line2", "The second address line"),
                (
                    &mut a.postal_code,
                    "shipping.postal_code",
                    "The postal code",
                ),
                (&mut a.city, "shipping.city", "The city"),
                (&mut a.region, "shipping.region", "The region"),
                (&mut a.country, "shipping.country", "The country"),
            ] {
                trimmed(text, field, label)?;
            }
            (a != Address::default()).then_some(a)
        }
    };
    rule(fields, CheckoutField::Address, shipping.is_none())?;
    let shipping = match shipping {
        None => None,
        Some(address) => {
            // An address is either complete enough to deliver to, or refused.
            for (value, field, label) in [
                (&address.line1, "shipping.line1", "street and number"),
                (&address.postal_code, "shipping.postal_code", "postal code"),
                (&address.city, "shipping.city", "city"),
                (&address.country, "shipping.country", "country"),
            ] {
                if value.is_empty() {
                    return Err(OrdersError::refused_at(
                        ErrorCode::FieldMissing,
                        field,
                        format!("Please fill in the {label} of the shipping address."),
                    ));
                }
            }
            let country = Country::parse(&address.country).map_err(|e| {
                OrdersError::refused_at(
                    ErrorCode::CountryUnknown,
                    "shipping.country",
                    e.message.into_owned(),
                )
            })?;
            let address = Address {
                country: country.to_string(),
                ..address
            };
            Some((address, country))
        }
    };
    Ok(BuyerDetails { contact, shipping })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn contact(name: &str, email: &str, phone: &str) -> Contact {
        Contact {
            name: name.into(),
            email: email.into(),
            phone: phone.into(),
        }
    }

    fn address() -> Address {
        Address {
            line1: " Hauptstraße 1 ".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "de".into(),
            ..Address::default()
        }
    }

    fn code(r: Result<BuyerDetails, OrdersError>) -> ErrorCode {
        refusal(r).0
    }

    fn refusal(r: Result<BuyerDetails, OrdersError>) -> (ErrorCode, Option<&'static str>) {
        match r {
            Err(OrdersError::Refused(r)) => (r.code, r.field),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn o2_optional_fields_may_stay_empty_and_required_ones_may_not() {
        let fields = CheckoutFields::default();
        let ok = check(
            &fields,
            contact("Ada", "ada@example.org", ""),
            Some(address()),
        )
        .unwrap();
        assert_eq!(ok.contact.phone, "");
        let (a, c) = ok.shipping.unwrap();
        assert_eq!((a.line1.as_str(), c.as_str()), ("Hauptstraße 1", "DE"));
        assert_eq!(
            code(check(
                &fields,
                contact("", "ada@example.org", ""),
                Some(address())
            )),
            ErrorCode::FieldMissing
        );
        assert_eq!(
            code(check(&fields, contact("Ada", "ada@example.org", ""), None)),
            ErrorCode::FieldMissing
        );
    }

    #[test]
    fn o2_a_hidden_field_sent_anyway_is_refused() {
        let mut fields = CheckoutFields::default();
        fields.set(CheckoutField::Phone, FieldRule::Hidden);
        assert_eq!(
            code(check(
                &fields,
                contact("Ada", "ada@example.org", "+49 30 1"),
                Some(address())
            )),
            ErrorCode::FieldNotAsked
        );
        fields.set(CheckoutField::Address, FieldRule::Hidden);
        assert_eq!(
            code(check(
                &fields,
                contact("Ada", "ada@example.org", ""),
                Some(address())
            )),
            ErrorCode::FieldNotAsked
        );
        let ok = check(
            &fields,
            contact("Ada", "ada@example.org", ""),
            Some(Address::default()),
        );
        assert!(ok.unwrap().shipping.is_none());
    }

    #[test]
    fn shapes_are_checked() {
        let fields = CheckoutFields::default();
        assert_eq!(
            refusal(check(&fields, contact("Ada", "ada", ""), Some(address()))),
            (ErrorCode::EmailInvalid, Some("contact.email"))
        );
        assert_eq!(
            code(check(
                &fields,
                contact("Ada", "a@b.org", "call me"),
                Some(address())
            )),
            ErrorCode::PhoneInvalid
        );
        let mut bad = address();
        bad.country = "XX".into();
        assert_eq!(
            code(check(&fields, contact("Ada", "a@b.org", ""), Some(bad))),
            ErrorCode::CountryUnknown
        );
        let mut partial = address();
        partial.city.clear();
        assert_eq!(
            refusal(check(&fields, contact("Ada", "a@b.org", ""), Some(partial))),
            (ErrorCode::FieldMissing, Some("shipping.city"))
        );
        assert_eq!(
            code(check(
                &fields,
                contact("A\u{7}da", "a@b.org", ""),
                Some(address())
            )),
            ErrorCode::FieldInvalid
        );
    }
}
