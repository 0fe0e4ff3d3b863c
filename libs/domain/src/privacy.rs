//! Data-subject requests (O13, O14): what a visitor may ask of a shop, and by when the
//! shop must answer as GDPR Art. 12(3) counts it: one calendar month from receipt, ending
//! on the same day of the month, or on the last day of a month that has no such day
//! (received on 31 January, due on the last day of February; Regulation 1182/71,
//! Art. 3(2)(c)); extendable once by two further months, counted the same way.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::status::text_enum;

text_enum!(
    /// What a visitor asks.
    RequestKind {
        /// "Send me my data" (Art. 15, O13).
        Access = "access",
        /// "Correct my data" (Art. 16).
        Correction = "correction",
        /// "Delete my data" (Art. 17, O14).
        Erasure = "erasure",
    }
);

text_enum!(
    /// Who opened a request.
    RequestSource {
        /// The visitor, who confirmed it by the emailed link.
        Visitor = "visitor",
        /// A member of the shop's staff, on the visitor's behalf.
        Merchant = "merchant",
    }
);

text_enum!(
    /// Where a request stands.
    RequestStatus {
        /// Waiting for the visitor to confirm it by the emailed link (24 hours).
        Unverified = "unverified",
        /// Confirmed: the shop owes an answer by its deadline.
        Open = "open",
        /// Answered: data sent, corrected or erased.
        Completed = "completed",
        /// Refused, with the reason sent to the requester (Art. 12(4)).
        Refused = "refused",
    }
);

/// Hours an emailed confirmation link works.
pub const REQUEST_LINK_HOURS: i64 = 24;
/// Days an export link works.
pub const EXPORT_LINK_DAYS: i64 = 3;
/// Days before a deadline the owners are reminded (and again on the last day).
pub const REQUEST_REMINDER_DAYS: i64 = 7;

/// When an answer is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// One calendar month after receipt.
    pub due: NaiveDate,
    /// The latest an extension may move it to: three months after receipt.
    pub extended_limit: NaiveDate,
}

impl Deadline {
    /// The deadline of a request received on `received` (the shop's local date).
    pub fn for_request(received: NaiveDate) -> Option<Self> {
        Some(Deadline {
            due: received.checked_add_months(Months::new(1))?,
            extended_limit: received.checked_add_months(Months::new(3))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn one_calendar_month_ends_on_the_same_day_or_the_last_day_of_a_shorter_month() {
        let cases = [
            (d(2027, 1, 31), d(2027, 2, 28)),
            (d(2028, 1, 31), d(2028, 2, 29)),
            (d(2027, 3, 15), d(2027, 4, 15)),
            (d(2027, 3, 31), d(2027, 4, 30)),
            (d(2026, 12, 2), d(2027, 1, 2)),
            (d(2027, 2, 28), d(2027, 3, 28)),
        ];
        for (received, due) in cases {
            assert_eq!(
                Deadline::for_request(received).map(|x| x.due),
                Some(due),
                "{received}"
            );
        }
    }

    #[test]
    fn an_extension_reaches_at_most_three_months_after_receipt() {
        let deadline = Deadline::for_request(d(2027, 11, 30));
        assert_eq!(deadline.map(|x| x.extended_limit), Some(d(2028, 2, 29)));
        assert_eq!(RequestKind::parse("erasure"), Some(RequestKind::Erasure));
    }
}
