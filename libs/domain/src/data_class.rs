//! The classes of personal data (one vocabulary for roles, grants, audit events,
//! data-subject requests, retention and the data register) and the default matrix of
//! what each merchant staff role sees (O8). `docs/data-classes.md` shows the same table;
//! a test keeps the two equal.

use serde::{Deserialize, Serialize};

use crate::status::text_enum;

text_enum!(
    /// A class of personal data.
    DataClass {
        /// How to reach the buyer: name, email, phone.
        Contact = "contact",
        /// Where goods go: shipping name, address lines, postcode, city, region, country,
        /// delivery phone.
        Shipping = "shipping",
        /// What was paid and how: billing address, card brand + last 4 + expiry,
        /// processor token, totals, refunds.
        Billing = "billing",
        /// Where a request came from: the buyer's IP on an order (O5).
        Network = "network",
        /// Choices about promotion: consent records, unsubscribes, campaign sends.
        Marketing = "marketing",
        /// A visitor's or staff member's login: email, password hash, MFA, sessions.
        Account = "account",
        /// Data tied to an under-13 buyer: age answer, guardian contact and consent (O19).
        Child = "child",
        /// What a person did: carts tied to an order, order notes, requests made.
        Activity = "activity",
    }
);

text_enum!(
    /// A merchant staff role (tenant side). The text is what `staff.role` stores.
    StaffRole {
        /// Runs the shop; sees everything of it.
        Owner = "owner",
        /// Payments, refunds and fraud review.
        BillingClerk = "billing",
        /// Answers buyers.
        CustomerService = "support",
        /// Packs and ships.
        Fulfilment = "fulfilment",
        /// Products, prices and stock; no personal data.
        CatalogManager = "catalog",
    }
);

/// What a role sees of a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// In clear.
    Read,
    /// Only these fields in clear; the rest masked.
    Fields(&'static [&'static str]),
    /// Masked (`••••`), never sent to the client.
    Masked,
}

impl StaffRole {
    /// What this role sees of `class` by default (`../shared/design/data-classes.md`).
    pub fn access(self, class: DataClass) -> Access {
        use Access::{Fields, Masked, Read};
        use DataClass as C;
        use StaffRole as R;
        match (self, class) {
            (R::Owner, _) => Read,
            (R::BillingClerk, C::Contact) => Fields(&["name", "email"]),
            (R::BillingClerk, C::Billing | C::Network | C::Activity) => Read,
            (R::CustomerService, C::Contact | C::Shipping | C::Marketing | C::Activity) => Read,
            (R::Fulfilment, C::Contact) => Fields(&["name"]),
            (R::Fulfilment, C::Shipping) => Read,
            _ => Masked,
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Owner => "Owner",
            StaffRole::BillingClerk => "Billing clerk",
            StaffRole::CustomerService => "Customer service",
            StaffRole::Fulfilment => "Fulfilment",
            StaffRole::CatalogManager => "Catalog manager",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o8_only_the_owner_sees_staff_accounts_and_childrens_data() {
        for role in StaffRole::ALL {
            let expected = if *role == StaffRole::Owner {
                Access::Read
            } else {
                Access::Masked
            };
            assert_eq!(role.access(DataClass::Account), expected, "{role}");
            assert_eq!(role.access(DataClass::Child), expected, "{role}");
        }
    }

    #[test]
    fn o8_the_catalog_manager_sees_no_personal_data() {
        for class in DataClass::ALL {
            assert_eq!(
                StaffRole::CatalogManager.access(*class),
                Access::Masked,
                "{class}"
            );
        }
    }

    #[test]
    fn o8_fulfilment_sees_the_name_and_address_only() {
        let r = StaffRole::Fulfilment;
        assert_eq!(r.access(DataClass::Contact), Access::Fields(&["name"]));
        assert_eq!(r.access(DataClass::Shipping), Access::Read);
        assert_eq!(r.access(DataClass::Billing), Access::Masked);
        assert_eq!(r.access(DataClass::Network), Access::Masked);
    }
}

#[cfg(test)]
mod matrix_doc {
    use super::*;

    const DOC: &str = include_str!("../../../docs/data-classes.md");

    fn cell(text: &str) -> Access {
        let text = text.trim();
        if text.starts_with('—') {
            return Access::Masked;
        }
        match text.strip_prefix("R (").and_then(|t| t.strip_suffix(')')) {
            Some(fields) => {
                let fields: Vec<&'static str> = fields
                    .split(',')
                    .map(|f| -> &'static str { Box::leak(f.trim().to_owned().into_boxed_str()) })
                    .collect();
                Access::Fields(Box::leak(fields.into_boxed_slice()))
            }
            None if text == "R" => Access::Read,
            None => panic!("unknown cell {text:?}"),
        }
    }

    #[test]
    fn o8_the_documented_matrix_is_the_one_the_code_applies() {
        let header =
            "| class | owner | billing clerk | customer service | fulfilment | catalog manager |";
        let table = DOC.split(header).nth(1).expect("the merchant matrix");
        let roles = [
            StaffRole::Owner,
            StaffRole::BillingClerk,
            StaffRole::CustomerService,
            StaffRole::Fulfilment,
            StaffRole::CatalogManager,
        ];
        let mut seen = 0;
        for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
            let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
            let class = DataClass::parse(cells[0].trim()).expect("a known class");
            for (role, text) in roles.iter().zip(&cells[1..]) {
                assert_eq!(role.access(class), cell(text), "{role} × {class}");
            }
            seen += 1;
        }
        assert_eq!(seen, DataClass::ALL.len(), "every class has a row");
    }
}
