//! Statuses stored as text in Postgres, as enums in code.

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored and wire form.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[cfg(feature = "sqlx")]
        crate::text_sql::text_sql!($name);

        // Written out rather than derived: the derive does not see `serde(rename)` through
        // this macro's literals and documented the variant names instead of the wire text.
        #[cfg(feature = "utoipa")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "utoipa")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Where a product stands: only active products are on sale.
    ProductStatus {
        /// Being prepared; invisible to visitors.
        Draft = "draft",
        /// On sale.
        Active = "active",
        /// Withdrawn; kept for past carts and orders.
        Archived = "archived",
    }
);

text_enum!(
    /// Where a shop stands.
    ShopStatus {
        /// Open.
        Active = "active",
        /// Closed by the platform for now; visitors get a 503.
        Suspended = "suspended",
        /// Offboarded; its keys are destroyed.
        Deleted = "deleted",
    }
);

text_enum!(
    /// Where a privacy-policy version stands.
    PolicyStatus {
        /// Editable, not shown.
        Draft = "draft",
        /// Frozen; shown from its effective date.
        Published = "published",
    }
);

text_enum!(
    /// Where an order stands. Payment moves it from `pending_payment` to `paid`, never
    /// back; `cancelled` ends an order that was not shipped.
    OrderStatus {
        /// Placed; stock is held until the payment arrives or the hold runs out.
        PendingPayment = "pending_payment",
        /// Paid; waiting to be shipped.
        Paid = "paid",
        /// Handed to the carrier.
        Shipped = "shipped",
        /// Delivered to the buyer.
        Delivered = "delivered",
        /// Cancelled: by the merchant, or unpaid when its hold ran out.
        Cancelled = "cancelled",
        /// Refunded in full.
        Refunded = "refunded",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_their_text() {
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ProductStatus::parse("Active"), None);
        assert_eq!(
            serde_json::to_string(&ShopStatus::Suspended).unwrap_or_default(),
            "\"suspended\""
        );
    }
}
