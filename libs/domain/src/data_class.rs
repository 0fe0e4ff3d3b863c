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
            (R::CustomerService, C::Billing) => Fields(&["totals"]),
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

/// The roles one staff member holds (one or more).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl std::fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl RoleSet {
    /// No role.
    pub const EMPTY: RoleSet = RoleSet(0);

    fn bit(role: StaffRole) -> u8 {
        match role {
            StaffRole::Owner => 1,
            StaffRole::BillingClerk => 2,
            StaffRole::CustomerService => 4,
            StaffRole::Fulfilment => 8,
            StaffRole::CatalogManager => 16,
        }
    }

    /// One role.
    pub fn of(role: StaffRole) -> Self {
        RoleSet(Self::bit(role))
    }

    /// Holds `role`.
    pub fn contains(self, role: StaffRole) -> bool {
        self.0 & Self::bit(role) != 0
    }

    /// With `role` added.
    pub fn with(self, role: StaffRole) -> Self {
        RoleSet(self.0 | Self::bit(role))
    }

    /// No role at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = StaffRole> {
        StaffRole::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }

    /// Whether a holder of these roles may grant every role of `other`: an owner may
    /// grant any role; anyone else only roles they hold themselves (and only owners
    /// manage staff at all, see [`Permission::ManageStaff`]).
    pub fn covers(self, other: RoleSet) -> bool {
        self.contains(StaffRole::Owner) || other.0 & !self.0 == 0
    }

    /// May these roles do `permission`?
    pub fn may(self, permission: Permission) -> bool {
        self.iter().any(|r| permission.roles().contains(&r))
    }

    /// What these roles see: the union of each role's access.
    pub fn clearance(self) -> Clearance {
        Clearance { roles: self }
    }
}

impl FromIterator<StaffRole> for RoleSet {
    fn from_iter<I: IntoIterator<Item = StaffRole>>(iter: I) -> Self {
        iter.into_iter().fold(RoleSet::EMPTY, RoleSet::with)
    }
}

/// What a staff member with some roles may see of personal data: a field is shown when
/// any of the roles reads its class in full or reads that field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clearance {
    roles: RoleSet,
}

impl Clearance {
    /// Sees `field` of `class` in clear.
    pub fn sees(self, class: DataClass, field: &str) -> bool {
        self.roles.iter().any(|r| match r.access(class) {
            Access::Read => true,
            Access::Fields(fields) => fields.contains(&field),
            Access::Masked => false,
        })
    }

    /// Sees at least part of `class`.
    pub fn sees_any(self, class: DataClass) -> bool {
        self.roles
            .iter()
            .any(|r| !matches!(r.access(class), Access::Masked))
    }

    /// The roles this clearance comes from.
    pub fn roles(self) -> RoleSet {
        self.roles
    }
}

/// The text that stands in for a value the viewer may not see.
pub const MASK: &str = "••••";

/// A value as one viewer may see it: in clear, or masked. A masked value is not kept at
/// all, so it cannot leave the server by mistake; it serialises as [`MASK`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown<T> {
    /// Visible to this viewer.
    Clear(T),
    /// Hidden from this viewer.
    Masked,
}

impl<T> Shown<T> {
    /// `value` when `visible`, else masked (the value is dropped here).
    pub fn new(visible: bool, value: T) -> Self {
        if visible {
            Shown::Clear(value)
        } else {
            Shown::Masked
        }
    }

    /// The value, when visible.
    pub fn clear(&self) -> Option<&T> {
        match self {
            Shown::Clear(v) => Some(v),
            Shown::Masked => None,
        }
    }

    /// Masked.
    pub fn is_masked(&self) -> bool {
        matches!(self, Shown::Masked)
    }
}

impl<T: Serialize> Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Clear(v) => v.serialize(s),
            Shown::Masked => s.serialize_str(MASK),
        }
    }
}

/// What a staff member may do, by role (O8: actions follow the data rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Open the orders (each shown masked to the viewer's clearance).
    ViewOrders,
    /// Refund through the payment processor.
    Refund,
    /// Mark shipped or delivered, book the carrier.
    Ship,
    /// Cancel an unpaid order.
    CancelOrder,
    /// Products, collections, CSV import and export.
    ManageCatalog,
    /// Shop settings, checkout, privacy policy, payment keys.
    ManageShop,
    /// Invite, change and remove staff; the access review; the audit log.
    ManageStaff,
    /// Visitors' requests for their data, corrections and erasure (O13, O14).
    HandleRequests,
    /// Write and send newsletters to the shop's confirmed subscribers (O17).
    SendNewsletter,
}

impl Permission {
    /// The roles that may.
    pub fn roles(self) -> &'static [StaffRole] {
        use StaffRole as R;
        match self {
            Permission::ViewOrders => {
                &[R::Owner, R::BillingClerk, R::CustomerService, R::Fulfilment]
            }
            Permission::Refund => &[R::Owner, R::BillingClerk],
            Permission::Ship => &[R::Owner, R::Fulfilment],
            Permission::CancelOrder => &[R::Owner, R::BillingClerk, R::CustomerService],
            Permission::ManageCatalog => &[R::Owner, R::CatalogManager],
            Permission::ManageShop | Permission::ManageStaff => &[R::Owner],
            Permission::HandleRequests => &[R::Owner, R::CustomerService],
            Permission::SendNewsletter => &[R::Owner, R::CatalogManager],
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
    fn o8_roles_add_up_and_only_owners_grant_roles_they_do_not_hold() {
        let clerk = RoleSet::of(StaffRole::BillingClerk);
        let both = clerk.with(StaffRole::Fulfilment);
        assert!(!clerk.clearance().sees(DataClass::Shipping, "line1"));
        assert!(both.clearance().sees(DataClass::Shipping, "line1"));
        assert!(both.clearance().sees(DataClass::Contact, "email"));
        assert!(!both.clearance().sees(DataClass::Contact, "phone"));
        assert!(both.may(Permission::Refund) && both.may(Permission::Ship));
        assert!(!both.may(Permission::ManageStaff));
        assert!(!clerk.covers(RoleSet::of(StaffRole::Owner)));
        assert!(!clerk.covers(both));
        assert!(both.covers(clerk));
        assert!(RoleSet::of(StaffRole::Owner).covers(both.with(StaffRole::CatalogManager)));
        assert_eq!(format!("{both:?}"), "{BillingClerk, Fulfilment}");
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
