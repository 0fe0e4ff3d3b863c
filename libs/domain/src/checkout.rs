//! Which contact and shipping details a shop asks for at checkout (O2): each field is
//! required, optional (a visitor may leave it blank) or hidden (never asked, never kept).

use serde::{Deserialize, Serialize};

/// What the shop does with one checkout field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FieldRule {
    /// Asked, and checkout waits for it.
    Required,
    /// Asked; a visitor may leave it blank.
    Optional,
    /// Never asked; a value sent anyway is dropped, never stored.
    Hidden,
}

impl FieldRule {
    /// Every rule, for forms.
    pub const ALL: [FieldRule; 3] = [FieldRule::Required, FieldRule::Optional, FieldRule::Hidden];

    /// The stored and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldRule::Required => "required",
            FieldRule::Optional => "optional",
            FieldRule::Hidden => "hidden",
        }
    }

    /// Parses the stored and form value.
    pub fn parse(text: &str) -> Option<Self> {
        FieldRule::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The field is asked for (required or optional).
    pub fn is_collected(self) -> bool {
        self != FieldRule::Hidden
    }
}

/// A field a shop configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckoutField {
    /// Full name.
    Name,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// Shipping address (all its lines).
    Address,
}

impl CheckoutField {
    /// Every field, in form order.
    pub const ALL: [CheckoutField; 4] = [
        CheckoutField::Name,
        CheckoutField::Email,
        CheckoutField::Phone,
        CheckoutField::Address,
    ];

    /// The key in settings and forms.
    pub fn key(self) -> &'static str {
        match self {
            CheckoutField::Name => "name",
            CheckoutField::Email => "email",
            CheckoutField::Phone => "phone",
            CheckoutField::Address => "address",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            CheckoutField::Name => "Name",
            CheckoutField::Email => "Email",
            CheckoutField::Phone => "Phone",
            CheckoutField::Address => "Shipping address",
        }
    }
}

/// The shop's checkout fields. Stored as JSON (`{"name": "required", …}`); every field
/// must be present, and nothing else may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckoutFields {
    /// Full name.
    pub name: FieldRule,
    /// Email address.
    pub email: FieldRule,
    /// Phone number.
    pub phone: FieldRule,
    /// Shipping address.
    pub address: FieldRule,
}

impl Default for CheckoutFields {
    /// What a new shop asks for: the phone number is optional, the rest required.
    fn default() -> Self {
        CheckoutFields {
            name: FieldRule::Required,
            email: FieldRule::Required,
            phone: FieldRule::Optional,
            address: FieldRule::Required,
        }
    }
}

impl CheckoutFields {
    /// The rule of one field.
    pub fn rule(&self, field: CheckoutField) -> FieldRule {
        match field {
            CheckoutField::Name => self.name,
            CheckoutField::Email => self.email,
            CheckoutField::Phone => self.phone,
            CheckoutField::Address => self.address,
        }
    }

    /// Sets the rule of one field.
    pub fn set(&mut self, field: CheckoutField, rule: FieldRule) {
        match field {
            CheckoutField::Name => self.name = rule,
            CheckoutField::Email => self.email = rule,
            CheckoutField::Phone => self.phone = rule,
            CheckoutField::Address => self.address = rule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_fields_have_a_fixed_shape() {
        let json =
            r#"{"name":"required","email":"required","phone":"optional","address":"required"}"#;
        let parsed: CheckoutFields =
            serde_json::from_str(json).unwrap_or_else(|_| CheckoutFields {
                name: FieldRule::Hidden,
                ..CheckoutFields::default()
            });
        assert_eq!(parsed, CheckoutFields::default());
        for bad in [
            r#"{"name":"required","email":"required","phone":"mandatory","address":"required"}"#,
            r#"{"name":"required","email":"required","phone":"optional"}"#,
            r#"{"name":"required","email":"required","phone":"optional","address":"required","age":"optional"}"#,
        ] {
            assert!(
                serde_json::from_str::<CheckoutFields>(bad).is_err(),
                "{bad}"
            );
        }
        let mut f = CheckoutFields::default();
        f.set(CheckoutField::Phone, FieldRule::Hidden);
        assert!(!f.rule(CheckoutField::Phone).is_collected());
    }
}
