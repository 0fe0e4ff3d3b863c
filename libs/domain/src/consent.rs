//! Marketing consent (O17): where a person asked for a shop's news, where their
//! subscription stands, and how they withdrew it. Promotion goes only to confirmed
//! subscriptions: asked for, then confirmed by an emailed link (double opt-in).

use serde::{Deserialize, Serialize};

use crate::status::text_enum;

/// Hours a subscription's confirmation link works.
pub const SUBSCRIBE_LINK_HOURS: i64 = 24;

text_enum!(
    /// Where a person asked for the shop's news.
    ConsentSource {
        /// The marketing box at checkout, unticked until they tick it.
        Checkout = "checkout",
        /// The sign-up form on the shop's newsletter page.
        SignupForm = "signup_form",
    }
);

impl ConsentSource {
    /// How the consent was given, as a consent record says it.
    pub fn method(self) -> &'static str {
        match self {
            ConsentSource::Checkout => {
                "ticked an unticked box at checkout, then confirmed by an emailed link"
            }
            ConsentSource::SignupForm => {
                "sent the sign-up form with their address, then confirmed by an emailed link"
            }
        }
    }
}

text_enum!(
    /// Where a subscription stands.
    SubscriptionStatus {
        /// Asked for; waiting for the emailed link (24 hours). Nothing promotional is sent.
        Pending = "pending",
        /// Confirmed by the emailed link: newsletters are sent.
        Confirmed = "confirmed",
        /// Withdrawn: nothing more is sent; the address is gone.
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// How a subscriber withdrew.
    WithdrawalMethod {
        /// Their mail program's unsubscribe button (RFC 8058 one-click POST).
        OneClick = "one_click",
        /// The unsubscribe link in a mail, then the button on the page it opens.
        UnsubscribePage = "unsubscribe_page",
        /// A mail to the unsubscribe address of a mail's `List-Unsubscribe` header.
        Mailto = "mailto",
    }
);

/// Days a guardian's consent link works, and a consent given waits to be used.
pub const GUARDIAN_LINK_DAYS: i64 = 7;

text_enum!(
    /// A buyer's age band, asked by shops that sell to minors (O19).
    AgeBand {
        /// 13 or older.
        ThirteenPlus = "13_plus",
        /// Under 13: a parent or guardian consents first.
        Under13 = "under_13",
    }
);

text_enum!(
    /// Where a guardian's consent stands.
    GuardianStatus {
        /// Mailed to the guardian; not decided.
        Pending = "pending",
        /// The guardian consented; the child may order once.
        Consented = "consented",
        /// The guardian said no.
        Refused = "refused",
        /// An order was placed under it.
        Used = "used",
        /// Not decided or not used in time.
        Expired = "expired",
    }
);
