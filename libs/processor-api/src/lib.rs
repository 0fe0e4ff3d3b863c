//! The payment processor's API as the platform speaks it (O3, O12): the key set a shop
//! publishes, payments, refunds, the webhook events the processor sends, and its coded
//! problems. The orders service's adapter and the processor simulator under `infra/`
//! both use these types, so the two sides cannot drift; a real processor's adapter maps
//! its own API onto the same trait in orders.
//!
//! Every request to the processor is signed with the shop's key (RFC 9421, `libs/msgsign`);
//! key-set calls are signed with the platform's partner key; every answer and webhook is
//! signed with the processor's key.
//!
//! What this crate must never do: carry a card number, expiry-with-number or CVC. The
//! only card facts that cross back are the brand, the last four digits, the expiry month
//! and year, and the processor's token.

use serde::{Deserialize, Serialize};

/// The key id the platform signs key-set (partner) calls with.
pub const PARTNER_KEY_ID: &str = "platform-partner";

/// Paths of the processor's API.
pub mod paths {
    /// The processor's own public keys (`GET`, unsigned).
    pub const PROCESSOR_KEYS: &str = "/v1/keys";
    /// Payments (`POST` creates one).
    pub const PAYMENTS: &str = "/v1/payments";

    /// A merchant's key set (`PUT`, partner-signed).
    pub fn merchant_keys(merchant: &str) -> String {
        format!("/v1/merchants/{merchant}/keys")
    }

    /// One payment (`GET`).
    pub fn payment(id: &str) -> String {
        format!("/v1/payments/{id}")
    }

    /// A payment's refunds (`POST` creates one).
    pub fn refunds(id: &str) -> String {
        format!("/v1/payments/{id}/refunds")
    }
}

/// A shop's keys as the processor should know them, with where its webhooks go. Sent
/// whole each time: a key missing from the set is unknown from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySet {
    /// Where the processor posts this merchant's events.
    pub webhook_url: String,
    /// Every key the shop has published, revoked ones included (they stay refused).
    pub keys: Vec<PublishedKey>,
}

/// One public key of a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedKey {
    /// The key id the shop's signatures name.
    pub kid: String,
    /// The Ed25519 public key, base64url.
    pub public: String,
    /// Whether signatures by it are accepted.
    pub status: KeyStatus,
}

/// Whether a published key may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Accepted.
    Active,
    /// Refused from now on; a revoked key never becomes active again.
    Revoked,
}

/// A payment the shop asks the processor to take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// The shop's reference (the order id): one open payment per reference.
    pub reference: String,
    /// What to charge, in minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// What the buyer sees on the payment page (the shop's name and order number).
    pub description: String,
    /// Where the payment page sends the buyer back to.
    pub return_url: String,
    /// After this (Unix seconds) the payment page takes no card: the order's hold ended.
    pub expires_at: i64,
}

/// Where a payment stands at the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Waiting for the buyer's card (also after a declined attempt).
    Pending,
    /// Charged: the money is taken, once.
    Captured,
    /// Its time ran out uncharged.
    Expired,
}

/// A payment as the processor reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The processor's id.
    pub id: String,
    /// The merchant it belongs to.
    pub merchant: String,
    /// The shop's reference.
    pub reference: String,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Charged or to charge, minor units.
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
    /// Refunded so far, minor units.
    pub refunded_minor: i64,
    /// The hosted payment page.
    pub pay_url: String,
    /// The card that paid, once captured.
    pub card: Option<Card>,
    /// Why the last attempt failed (`card_declined`, `insufficient_funds`).
    pub last_failure: Option<String>,
}

/// What the platform may keep of a card (O3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// `visa`, `mastercard`, `amex`, …
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// Expiry month, 1–12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// The processor's token for this card.
    pub token: String,
}

/// A refund the shop asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    /// Minor units, at most what is left to refund.
    pub amount_minor: i64,
    /// The shop's reference for this refund: the same reference refunds once.
    pub reference: String,
}

/// A refund made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The processor's id.
    pub id: String,
    /// The shop's reference.
    pub reference: String,
    /// Refunded by this refund, minor units.
    pub amount_minor: i64,
    /// The payment after it.
    pub payment: Payment,
}

/// What happened, as a webhook tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The payment was captured.
    PaymentCaptured,
    /// An attempt failed; the payment still waits.
    PaymentFailed,
    /// A refund was made.
    PaymentRefunded,
}

/// A webhook's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique per event; deliveries of one event share it.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// When (Unix seconds).
    pub created: i64,
    /// The payment after it.
    pub payment: Payment,
}

/// A refusal's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A stable code (`signature.revoked_key`, `payment.not_found`).
    pub code: String,
    /// For people.
    pub message: String,
}

/// The processor's own public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorKeys {
    /// Key id and base64url public key.
    pub keys: Vec<ProcessorKey>,
}

/// One of the processor's public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorKey {
    /// Its id.
    pub kid: String,
    /// Ed25519, base64url.
    pub public: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_refuses_fields_it_does_not_know() {
        let text = r#"{"webhook_url":"https://x","keys":[],"extra":1}"#;
        assert!(serde_json::from_str::<KeySet>(text).is_err());
        let text =
            r#"{"webhook_url":"https://x","keys":[{"kid":"k","public":"p","status":"revoked"}]}"#;
        let set: KeySet = serde_json::from_str(text).unwrap();
        assert_eq!(set.keys[0].status, KeyStatus::Revoked);
    }
}
