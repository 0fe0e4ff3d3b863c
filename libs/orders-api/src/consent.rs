//! Marketing consent and newsletters (O17): the storefront asks for a subscription (the
//! box at checkout travels on [`crate::PlaceOrder`]), confirms it and withdraws it by the
//! links the orders service mails; the console sends newsletters to confirmed subscribers
//! and sees how many there are, never who.

use chrono::{DateTime, Utc};
use platform_domain::{ConsentSource, NewsletterId, StaffId, WithdrawalMethod};
use serde::{Deserialize, Serialize};

/// The marketing box at checkout, ticked: the version of the privacy policy shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingOptIn {
    /// The privacy policy version the page linked to (none published).
    pub policy_version: Option<i32>,
}

/// A visitor asks for the shop's news on the sign-up form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscribe {
    /// Their address.
    pub email: String,
    /// Where they asked.
    pub source: ConsentSource,
    /// The privacy policy version the page linked to (none published).
    pub policy_version: Option<i32>,
}

/// A withdrawal by the secret of a mail's unsubscribe links.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unsubscribe {
    /// The secret from the link.
    pub token: String,
    /// How the subscriber withdrew.
    pub method: WithdrawalMethod,
}

/// A mail that arrived at the platform's unsubscribe address (the `mailto` of
/// `List-Unsubscribe`), handed over by the inbound relay: only its subject is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnsubscribeMail {
    /// The subject line, `unsubscribe <shop id> <secret>` as the mail's header wrote it.
    pub subject: String,
}

/// How many people are subscribed, by where their subscription stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriberCounts {
    /// Asked, not yet confirmed (nothing promotional reaches them).
    pub pending: i64,
    /// Confirmed: newsletters go to them.
    pub confirmed: i64,
    /// Withdrawn.
    pub withdrawn: i64,
}

/// A newsletter the merchant sends now, to every confirmed subscriber.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewNewsletter {
    /// Subject line (1 to 200 characters).
    pub subject: String,
    /// Plain text (1 to 20,000 characters); the unsubscribe link is added below it.
    pub body: String,
    /// Who sends it.
    pub staff_id: StaffId,
}

/// A newsletter, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsletterSummary {
    /// Its id.
    pub id: NewsletterId,
    /// Subject line.
    pub subject: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// Confirmed subscribers when it was sent.
    pub recipients: i64,
    /// Copies that left.
    pub delivered: i64,
    /// Copies not sent because the subscriber withdrew first.
    pub withdrawn: i64,
    /// Copies still waiting.
    pub waiting: i64,
}

/// The console's newsletter page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Newsletters {
    /// Subscribers by status.
    pub subscribers: SubscriberCounts,
    /// Newsletters sent, newest first (at most 50).
    pub sent: Vec<NewsletterSummary>,
}

/// A child's checkout asks a parent or guardian for consent (O19).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AskGuardian {
    /// The guardian's address.
    pub guardian_email: String,
    /// The privacy policy version the page linked to.
    pub policy_version: Option<i32>,
}

/// The child's handle to wait with (a 256-bit secret; only its SHA-256 is kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuardianHandle {
    /// The handle.
    pub handle: String,
}

/// Where a guardian's consent stands, as the child's page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianState {
    /// Its status.
    pub status: platform_domain::GuardianStatus,
}

/// The guardian's decision, by the token of the emailed link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuardianDecision {
    /// The link's token.
    pub token: String,
    /// Consent (true) or refusal.
    pub consent: bool,
}
