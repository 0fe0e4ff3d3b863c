//! The carrier's API as the platform speaks it (O6): a shipment carries the order's
//! reference and the recipient's delivery fields, and nothing else: name, address lines,
//! postcode, city, region, country, and a phone number only when the carrier needs one
//! to deliver. The shape is fixed here, with `deny_unknown_fields` on the carrier's side,
//! so adding a field is a visible change to this contract and its test.
//!
//! What this crate must never do: carry an email address, a payment detail, the buyer's
//! IP address or anything about the order's contents.

use serde::{Deserialize, Serialize};

/// Paths of the carrier's API.
pub mod paths {
    /// Book a shipment (`POST`).
    pub const SHIPMENTS: &str = "/v1/shipments";
}

/// A shipment to book.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    /// The shop's order number as shown (`1001`): not personal data.
    pub reference: String,
    /// Where it goes.
    pub recipient: Recipient,
}

impl std::fmt::Debug for NewShipment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewShipment")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// The delivery fields, exactly.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The recipient's name.
    pub name: String,
    /// Street and number.
    pub address_line1: String,
    /// More of the address (may be empty).
    pub address_line2: String,
    /// Postcode.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Region or state (may be empty).
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// A phone number for the courier, only when the carrier requires one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phone: Option<String>,
}

/// A booked shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The carrier's id.
    pub id: String,
    /// The carrier's name, as the buyer knows it.
    pub carrier: String,
    /// What the buyer follows it by.
    pub tracking_number: String,
    /// Where the buyer follows it.
    pub tracking_url: String,
}

/// A refusal's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A stable code (`shipment.invalid`).
    pub code: String,
    /// For people.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_is_left_out_when_there_is_none() {
        let r = Recipient {
            name: "A".into(),
            address_line1: "B".into(),
            address_line2: String::new(),
            postal_code: "1".into(),
            city: "C".into(),
            region: String::new(),
            country: "DE".into(),
            phone: None,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("phone"));
        assert!(
            serde_json::from_str::<Recipient>(
                &text.replace("\"name\"", "\"email\":\"x\",\"name\"")
            )
            .is_err()
        );
    }
}
