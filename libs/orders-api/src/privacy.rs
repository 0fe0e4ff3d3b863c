//! Data-subject requests across the orders boundary (O13, O14): what the storefront's
//! privacy page sends, what the merchant console reads and does, the export document a
//! requester receives and the signed erasure certificate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use platform_domain::{OrderId, OrderStatus, RequestId, RequestKind, RequestSource, RequestStatus};
use serde::{Deserialize, Serialize};

use crate::{Address, Contact, OrderEvent, OrderLine, PaymentView, ShipmentView};

/// A visitor's request from the shop's privacy page. The answer is the same whether or
/// not the shop knows the address (no enumeration): a link goes to it either way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// What they ask.
    pub kind: RequestKind,
    /// Where the confirmation link goes, and whose data is meant.
    pub email: String,
    /// For a correction: what is wrong and what is right.
    #[serde(default)]
    pub details: String,
}

/// The visitor followed the emailed link and confirmed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The token from the link.
    pub token: String,
}

/// A confirmed request, as the visitor is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedRequest {
    /// What was asked.
    pub kind: RequestKind,
    /// By when the shop answers.
    pub due_on: NaiveDate,
}

/// A request a member of the shop's staff opens on a visitor's behalf (by phone or
/// letter), having checked who they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// Who opens it.
    pub staff_id: platform_domain::StaffId,
    /// What was asked.
    pub kind: RequestKind,
    /// The requester's email.
    pub email: String,
    /// For a correction: what is to be corrected.
    #[serde(default)]
    pub details: String,
}

/// A request in the merchant's list: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    /// Its id.
    pub id: RequestId,
    /// What was asked.
    pub kind: RequestKind,
    /// Who opened it.
    pub source: RequestSource,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When the requester confirmed it (the deadline counts from that day).
    pub verified_at: Option<DateTime<Utc>>,
    /// One calendar month after confirmation.
    pub due_on: Option<NaiveDate>,
    /// The extended deadline, once extended.
    pub extended_to: Option<NaiveDate>,
    /// When it was completed or refused.
    pub closed_at: Option<DateTime<Utc>>,
}

impl RequestSummary {
    /// The deadline in force.
    pub fn deadline(&self) -> Option<NaiveDate> {
        self.extended_to.or(self.due_on)
    }
}

/// The shop's requests, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestList {
    /// Requests.
    pub requests: Vec<RequestSummary>,
}

/// An order the shop holds about the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldOrder {
    /// The order.
    pub id: OrderId,
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// How to reach the buyer, as stored (what a correction changes).
    pub contact: Option<Contact>,
    /// The delivery address, as stored.
    pub shipping: Option<Address>,
}

/// One request with the requester's details, for the merchant handling it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    /// The request.
    pub summary: RequestSummary,
    /// The requester's email; none once erased.
    pub email: Option<String>,
    /// For a correction: what they asked.
    pub details: Option<String>,
    /// Why the shop needed more time.
    pub extension_reason: Option<String>,
    /// What was done, or why it was refused.
    pub outcome: Option<String>,
    /// The orders held under the requester's email.
    pub orders: Vec<HeldOrder>,
    /// Until when the last export link works.
    pub export_expires_at: Option<DateTime<Utc>>,
    /// For a completed erasure: the signed certificate.
    pub certificate: Option<ErasureCertificate>,
}

/// A step on a request by a member of the shop's staff.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAction {
    /// Who acts.
    pub staff_id: platform_domain::StaffId,
    /// A refusal's reason, or a note on what was done (sent to the requester).
    #[serde(default)]
    pub text: String,
}

/// More time, once, with a reason the requester receives before the first deadline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// Who extends.
    pub staff_id: platform_domain::StaffId,
    /// The new deadline: after the first, at most two months after it.
    pub until: NaiveDate,
    /// Why (10 to 1000 characters), sent to the requester.
    pub reason: String,
}

/// A correction of the buyer's details on one order (an audited change).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectOrder {
    /// Who corrects.
    pub staff_id: platform_domain::StaffId,
    /// The corrected contact details.
    pub contact: Contact,
    /// The corrected delivery address, when the order has one.
    #[serde(default)]
    pub shipping: Option<Address>,
}

/// The answer to an access request (Art. 15): everything the shop holds about the
/// requester and what the law requires to be said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectExport {
    /// `subject-export/1`.
    pub format: String,
    /// When it was put together.
    pub generated_at: DateTime<Utc>,
    /// The shop (the controller).
    pub shop: ShopFacts,
    /// The request it answers.
    pub request: RequestId,
    /// The email the request was made with.
    pub email: String,
    /// Orders placed with that email, with the details stored on them.
    pub orders: Vec<ExportedOrder>,
    /// Marketing consents given or withdrawn.
    pub consents: Vec<ExportedConsent>,
    /// Mail the shop sent them through the platform.
    pub mails: Vec<ExportedMail>,
    /// Requests they made.
    pub requests: Vec<ExportedRequest>,
    /// Who read their data: the shop's staff and the platform's, from the audit log.
    pub reads: Vec<ExportedRead>,
    /// Purposes, recipients, retention, source and rights.
    pub about: Article15,
}

/// The shop as the controller of the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopFacts {
    /// Its name.
    pub name: String,
    /// The address it publishes for privacy questions.
    pub contact_email: String,
}

/// One order in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedOrder {
    /// Its number.
    pub reference: String,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Where it stands.
    pub status: OrderStatus,
    /// Currency of the amounts.
    pub currency: String,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Tax.
    pub tax_minor: i64,
    /// Total.
    pub total_minor: i64,
    /// Refunded.
    pub refunded_minor: i64,
    /// What was bought.
    pub lines: Vec<OrderLine>,
    /// Contact details given at checkout.
    pub contact: Option<Contact>,
    /// Delivery address given at checkout.
    pub shipping: Option<Address>,
    /// The network address the order was placed from.
    pub buyer_ip: Option<String>,
    /// The payment as kept (never the card number).
    pub payment: Option<PaymentView>,
    /// How it travelled.
    pub shipment: Option<ShipmentView>,
    /// Its history.
    pub events: Vec<OrderEvent>,
}

/// A marketing consent record: one subscription, from asking to withdrawing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedConsent {
    /// For what (`marketing_email`).
    pub purpose: String,
    /// When they asked.
    pub given_at: DateTime<Utc>,
    /// Where (`checkout`, `signup_form`).
    pub source: String,
    /// How, in words (the box or the form, then the emailed link).
    pub method: String,
    /// The privacy policy version shown when they asked.
    pub policy_version: Option<i32>,
    /// When they confirmed it by the emailed link (none: never, so nothing was sent).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When withdrawn.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// How withdrawn (`one_click`, `unsubscribe_page`, `mailto`).
    pub withdrawal_method: Option<String>,
}

/// A mail sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedMail {
    /// What it was (`order_confirmation`, `shipping_notice`, `request_verify`, …).
    pub kind: String,
    /// About which order or request.
    pub about: String,
    /// When it left.
    pub sent_at: DateTime<Utc>,
}

/// A request made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedRequest {
    /// Its id.
    pub id: RequestId,
    /// What was asked.
    pub kind: RequestKind,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it was answered.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A read of their data by staff, from the shop's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedRead {
    /// When.
    pub at: DateTime<Utc>,
    /// Who, by role: "shop staff (owner)" or "platform staff (support), under a grant".
    pub who: String,
    /// What they did (`order.view`, `orders.export`).
    pub action: String,
    /// Which classes of data.
    pub classes: Vec<String>,
    /// Why, as recorded.
    pub purpose: String,
}

/// What GDPR Art. 15(1) and (2) require beside the data itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article15 {
    /// Purposes and legal bases.
    pub purposes: Vec<Statement>,
    /// Categories of data held.
    pub categories: Vec<Statement>,
    /// Who receives it.
    pub recipients: Vec<Statement>,
    /// How long each part is kept.
    pub retention: Vec<Statement>,
    /// Where it came from.
    pub source: String,
    /// Their rights, and where to complain.
    pub rights: Vec<String>,
    /// Automated decisions and profiling.
    pub automated_decisions: String,
    /// Transfers outside the EEA.
    pub transfers: String,
}

/// A titled statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// What it is about.
    pub topic: String,
    /// What is said.
    pub text: String,
}

/// An export as the requester fetches it by the emailed link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    /// The document.
    pub document: SubjectExport,
    /// Until when the link works.
    pub expires_at: DateTime<Utc>,
}

/// Proof of an erasure (O14), signed by the platform: what was erased, what was kept and
/// why and until when, and when the last backup holding ciphertext expires. It holds no
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureCertificate {
    /// `erasure-certificate/1`.
    pub format: String,
    /// The request it answers.
    pub request: RequestId,
    /// The shop's id.
    pub shop_id: String,
    /// The shop's name.
    pub shop_name: String,
    /// When the erasure was done.
    pub erased_at: DateTime<Utc>,
    /// What was erased and how.
    pub erased: Vec<Statement>,
    /// What was kept, why and until when.
    pub kept: Vec<KeptRecord>,
    /// Backups made before the erasure.
    pub backups: BackupStatement,
    /// The platform's signature over everything above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<CertificateSignature>,
}

/// A record kept after an erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptRecord {
    /// What.
    pub what: String,
    /// Why.
    pub why: String,
    /// Until when, at the latest.
    pub until: NaiveDate,
}

/// What backups still hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupStatement {
    /// Backups taken before the erasure hold the erased fields as ciphertext under a key
    /// that no longer exists.
    pub text: String,
    /// The day the last of them expires and is deleted.
    pub last_expires_on: NaiveDate,
}

/// An Ed25519 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSignature {
    /// `Ed25519`.
    pub algorithm: String,
    /// Which platform key.
    pub key_id: String,
    /// base64url of the 64 bytes.
    pub value: String,
}

/// The platform's public key for certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateKey {
    /// Its id.
    pub key_id: String,
    /// base64url of the 32-byte Ed25519 public key.
    pub public_key: String,
}

impl ErasureCertificate {
    /// The bytes the signature covers: the certificate's JSON without its signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = ErasureCertificate {
            signature: None,
            ..self.clone()
        };
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Whether it carries a valid signature by `key`.
    pub fn verifies(&self, key: &CertificateKey) -> bool {
        let Some(sig) = &self.signature else {
            return false;
        };
        if sig.algorithm != "Ed25519" || sig.key_id != key.key_id {
            return false;
        }
        let (Ok(public), Ok(signature)) = (B64.decode(&key.public_key), B64.decode(&sig.value))
        else {
            return false;
        };
        let (Ok(public), Ok(signature)) = (
            ed25519_compact::PublicKey::from_slice(&public),
            ed25519_compact::Signature::from_slice(&signature),
        ) else {
            return false;
        };
        public.verify(self.signed_bytes(), &signature).is_ok()
    }
}

/// A retention run over the orders service's classes (O15), as of `now` (the caller's
/// clock: the console's daily run, or a test's).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRun {
    /// The moment the shop's retention is counted from.
    pub now: DateTime<Utc>,
    /// Count only; change nothing.
    pub dry_run: bool,
}

/// What a retention run removed (or would remove), per class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionCounts {
    /// Orders whose contact, delivery and card details went.
    pub order_details: i64,
    /// Orders whose buyer IP went.
    pub buyer_ips: i64,
    /// Records of sent mail deleted.
    pub delivered_mail: i64,
    /// Expired data-subject exports deleted.
    pub request_exports: i64,
}

/// Every order of a shop as an export shows it (the merchant's export, O13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopOrders {
    /// Oldest first.
    pub orders: Vec<ExportedOrder>,
}

/// Announce a material change of the privacy policy (O20) to every buyer of the shop:
/// one mail per buyer, sent once the version is published.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyNotices {
    /// The new version's number.
    pub version: i32,
}

/// How many buyers will be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyNoticesQueued {
    /// Notices queued.
    pub queued: i64,
}
