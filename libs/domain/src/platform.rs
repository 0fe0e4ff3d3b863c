//! The processor's side (O8, O21): platform staff roles and what a grant to read a shop's
//! data is for. No platform role sees a class of personal data by itself; only a grant
//! the shop approved does, and only for the classes it names.

use serde::{Deserialize, Serialize};

use crate::status::text_enum;

text_enum!(
    /// A role of the platform's own staff.
    PlatformRole {
        /// Helps merchants and their buyers; may ask a shop for a grant.
        Support = "support",
        /// Payment and payout questions; may ask a shop for a grant.
        BillingOps = "billing_ops",
        /// Keeps the platform running: health and aggregate metrics, never a class.
        Sre = "sre",
        /// Manages platform staff, reviews access, approves break-glass, records
        /// disclosures.
        Security = "security",
    }
);

impl PlatformRole {
    /// What the console calls it.
    pub fn label(self) -> &'static str {
        match self {
            PlatformRole::Support => "Support",
            PlatformRole::BillingOps => "Billing operations",
            PlatformRole::Sre => "Site reliability",
            PlatformRole::Security => "Security officer",
        }
    }

    /// May ask a shop for a grant (SRE never does: it works without personal data).
    pub fn may_request_grants(self) -> bool {
        !matches!(self, PlatformRole::Sre)
    }
}

/// The roles one platform staff member holds.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PlatformRoles(u8);

impl std::fmt::Debug for PlatformRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl PlatformRoles {
    /// No role.
    pub const EMPTY: PlatformRoles = PlatformRoles(0);

    fn bit(role: PlatformRole) -> u8 {
        match role {
            PlatformRole::Support => 1,
            PlatformRole::BillingOps => 2,
            PlatformRole::Sre => 4,
            PlatformRole::Security => 8,
        }
    }

    /// Holds `role`.
    pub fn contains(self, role: PlatformRole) -> bool {
        self.0 & Self::bit(role) != 0
    }

    /// With `role` added.
    pub fn with(self, role: PlatformRole) -> Self {
        PlatformRoles(self.0 | Self::bit(role))
    }

    /// No role at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = PlatformRole> {
        PlatformRole::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }
}

impl FromIterator<PlatformRole> for PlatformRoles {
    fn from_iter<I: IntoIterator<Item = PlatformRole>>(iter: I) -> Self {
        iter.into_iter()
            .fold(PlatformRoles::EMPTY, PlatformRoles::with)
    }
}

text_enum!(
    /// Why platform staff ask for a grant.
    GrantPurpose {
        /// A buyer of the shop asked the platform for help.
        CustomerSupport = "customer_support",
        /// The merchant asked the platform for help.
        MerchantSupport = "merchant_support",
        /// A payment, refund or payout question.
        BillingSupport = "billing_support",
        /// An incident (break-glass uses this one).
        Incident = "incident",
        /// Anything else, said in the reason.
        Other = "other",
    }
);

impl GrantPurpose {
    /// What the shop's owners read.
    pub fn label(self) -> &'static str {
        match self {
            GrantPurpose::CustomerSupport => "Customer-initiated support",
            GrantPurpose::MerchantSupport => "Merchant-initiated support",
            GrantPurpose::BillingSupport => "Billing support",
            GrantPurpose::Incident => "Incident response",
            GrantPurpose::Other => "Other (see reason)",
        }
    }
}

/// How long a pending request waits for a decision.
pub const GRANT_PENDING_HOURS: i64 = 24;
/// A grant's default length.
pub const GRANT_DEFAULT_MINUTES: i32 = 240;
/// A grant's longest length.
pub const GRANT_MAX_MINUTES: i32 = 24 * 60;
/// Break-glass's longest length.
pub const BREAK_GLASS_MAX_MINUTES: i32 = 60;
/// Break-glass's shortest written reason.
pub const BREAK_GLASS_MIN_REASON: usize = 40;
/// When the post-incident note of a break-glass is due, after approval.
pub const INCIDENT_NOTE_HOURS: i64 = 72;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_sre_asks_for_nothing() {
        let set: PlatformRoles = [PlatformRole::Support, PlatformRole::Security]
            .into_iter()
            .collect();
        assert!(set.contains(PlatformRole::Support));
        assert!(!set.contains(PlatformRole::Sre));
        assert_eq!(set.iter().count(), 2);
        assert!(!PlatformRole::Sre.may_request_grants());
        for r in PlatformRole::ALL {
            assert_eq!(PlatformRole::parse(r.as_str()), Some(*r));
        }
    }
}
