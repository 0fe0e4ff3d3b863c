//! Id newtypes: random UUIDs that cannot be mixed up (a variant id is not a product id).
//! Parsing one from text is the only way outside input becomes an id, so a path segment
//! or form field that is not a UUID never reaches a query or another service's URL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Text that is not an id of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed {kind} id")]
pub struct IdError {
    /// What kind of id was expected (`"variant"`).
    pub kind: &'static str,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                $name(Uuid::new_v4())
            }

            /// Wraps a UUID read from a trusted source (a row of this kind).
            pub fn from_uuid(id: Uuid) -> Self {
                $name(id)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Any UUID form `uuid` accepts, except the nil UUID.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match Uuid::parse_str(s) {
                    Ok(id) if !id.is_nil() => Ok($name(id)),
                    _ => Err(IdError { kind: $kind }),
                }
            }
        }
    };
}

uuid_id!(
    /// A product.
    ProductId,
    "product"
);
uuid_id!(
    /// A variant of a product: what a cart line and an order line point at.
    VariantId,
    "variant"
);
uuid_id!(
    /// A collection of products.
    CollectionId,
    "collection"
);
uuid_id!(
    /// A member of a merchant's staff.
    StaffId,
    "staff"
);
uuid_id!(
    /// A version of a shop's privacy policy.
    PolicyId,
    "policy"
);
uuid_id!(
    /// An order.
    OrderId,
    "order"
);
uuid_id!(
    /// A data-subject request to a shop.
    RequestId,
    "request"
);
uuid_id!(
    /// A newsletter a shop sent to its subscribers.
    NewsletterId,
    "newsletter"
);
uuid_id!(
    /// A person's subscription to a shop's news (their consent record).
    SubscriptionId,
    "subscription"
);
uuid_id!(
    /// A picture of a product, stored in the object store in a few widths.
    ImageId,
    "image"
);
uuid_id!(
    /// A shipping rate of a shop.
    ShippingRateId,
    "shipping rate"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_uuids_only() {
        let id = VariantId::random();
        assert_eq!(id.to_string().parse::<VariantId>(), Ok(id));
        for bad in [
            "",
            "..%2F..%2Fx",
            "../../x",
            "00000000-0000-0000-0000-000000000000",
            "not-a-uuid",
        ] {
            assert_eq!(bad.parse::<VariantId>(), Err(IdError { kind: "variant" }));
        }
    }

    #[test]
    fn ids_serialise_as_plain_uuids() {
        let id = ProductId::random();
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{id}\""));
    }
}
