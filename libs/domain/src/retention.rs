//! Retention by data class (O15): what a shop keeps, how long, within the platform's
//! floors (long enough to serve a buyer, answer a complaint or spot fraud) and ceilings
//! (no longer than any shop plausibly needs). Accounting records are not a class here:
//! orders are never deleted, only stripped of the person (the shop's `accounting_years`).

use serde::{Deserialize, Serialize};

use crate::invalid::Invalid;
use crate::status::text_enum;

text_enum!(
    /// A kind of data with its own retention.
    RetentionClass {
        /// Carts nobody checked out (Redis expires them; the cart's TTL).
        AbandonedCarts = "abandoned_carts",
        /// An order's contact, delivery and card details, counted from delivery or
        /// cancellation; the order stays pseudonymised.
        OrderDetails = "order_details",
        /// The buyer's IP on an order, counted from the order.
        BuyerIps = "buyer_ips",
        /// Ended staff sessions and login attempts.
        StaffSessions = "staff_sessions",
        /// Daily product view counts.
        ViewCounts = "view_counts",
        /// Which mail went out about which order or request.
        DeliveredMail = "delivered_mail",
        /// A data-subject export (its link works 3 days).
        RequestExports = "request_exports",
    }
);

impl RetentionClass {
    /// Floor, ceiling and default, in days.
    pub fn bounds(self) -> (i32, i32, i32) {
        match self {
            RetentionClass::AbandonedCarts => (1, 90, 30),
            RetentionClass::OrderDetails => (30, 3650, 730),
            RetentionClass::BuyerIps => (7, 365, 90),
            RetentionClass::StaffSessions => (30, 400, 90),
            RetentionClass::ViewCounts => (30, 1100, 400),
            RetentionClass::DeliveredMail => (7, 730, 90),
            RetentionClass::RequestExports => (3, 3, 3),
        }
    }

    /// Whether a shop may choose the days (request exports: fixed by the platform).
    pub fn settable(self) -> bool {
        let (floor, ceiling, _) = self.bounds();
        floor < ceiling
    }

    /// What it covers, for the console.
    pub fn describe(self) -> &'static str {
        match self {
            RetentionClass::AbandonedCarts => {
                "Carts nobody checked out (kept while the visitor may come back)"
            }
            RetentionClass::OrderDetails => {
                "Buyers' contact, delivery and card details on orders, after delivery or cancellation (the orders stay for your accounts, without them)"
            }
            RetentionClass::BuyerIps => "Buyers' IP addresses on orders (fraud checks)",
            RetentionClass::StaffSessions => "Your staff's ended sessions and login attempts",
            RetentionClass::ViewCounts => "Daily product view counts",
            RetentionClass::DeliveredMail => "Records of mail sent to buyers and requesters",
            RetentionClass::RequestExports => {
                "Copies of data sent on request (fixed: the link works 3 days)"
            }
        }
    }

    /// `days` if within this class's bounds.
    pub fn check(self, days: i32) -> Result<i32, Invalid> {
        let (floor, ceiling, _) = self.bounds();
        if (floor..=ceiling).contains(&days) {
            Ok(days)
        } else {
            Err(Invalid::new(
                "settings.retention_out_of_range",
                format!("{}: keep for {floor} to {ceiling} days.", self.describe()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o15_days_outside_the_platforms_floor_and_ceiling_are_refused() {
        for class in RetentionClass::ALL {
            let (floor, ceiling, default) = class.bounds();
            assert!(floor <= default && default <= ceiling, "{class}");
            assert!(class.check(floor).is_ok() && class.check(ceiling).is_ok());
            assert!(class.check(floor - 1).is_err() && class.check(ceiling + 1).is_err());
        }
        assert!(!RetentionClass::RequestExports.settable());
    }
}
