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
