//! Test cards: the number decides what happens, as with real processors' test modes.
//!
//! | number | outcome |
//! |---|---|
//! | 4242 4242 4242 4242 | captured (visa) |
//! | 5555 5555 5555 4444 | captured (mastercard) |
//! | 4000 0000 0000 0002 | declined: `card_declined` |
//! | 4000 0000 0000 9995 | declined: `insufficient_funds` |
//!
//! Any other number is declined with `card_declined`; a number that fails the Luhn check,
//! a past expiry or a malformed CVC is refused before that as `invalid_card`.

/// The cards that pay.
pub const SUCCESS_VISA: &str = "4242424242424242";
/// Also pays.
pub const SUCCESS_MASTERCARD: &str = "5555555555554444";
/// Declined.
pub const DECLINED: &str = "4000000000000002";
/// Declined for want of funds.
pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";

/// What typing a card led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Charged.
    Paid {
        /// The card's brand.
        brand: &'static str,
        /// Its last four digits.
        last4: String,
        /// Expiry month.
        exp_month: u8,
        /// Expiry year (four digits).
        exp_year: u16,
    },
    /// Refused with this code.
    Declined(&'static str),
}

/// The digits of a typed number (spaces and dashes dropped), if that is all it holds.
fn digits(number: &str) -> Option<String> {
    let kept: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (kept.len() >= 12 && kept.len() <= 19 && kept.bytes().all(|b| b.is_ascii_digit()))
        .then_some(kept)
}

/// The Luhn check.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// `MM/YY` or `MM/YYYY`, not before `(this_year, this_month)`.
fn expiry(text: &str, this_year: u16, this_month: u8) -> Option<(u8, u16)> {
    let (m, y) = text.trim().split_once('/')?;
    let month: u8 = m.trim().parse().ok()?;
    let year: u16 = match y.trim() {
        y if y.len() == 2 => 2000 + y.parse::<u16>().ok()?,
        y if y.len() == 4 => y.parse().ok()?,
        _ => return None,
    };
    ((1..=12).contains(&month) && (year, month) >= (this_year, this_month)).then_some((month, year))
}

/// Decides a card typed on the payment page, as of `(this_year, this_month)`.
pub fn charge(number: &str, exp: &str, cvc: &str, this_year: u16, this_month: u8) -> Outcome {
    let Some(number) = digits(number).filter(|d| luhn(d)) else {
        return Outcome::Declined("invalid_card");
    };
    let Some((exp_month, exp_year)) = expiry(exp, this_year, this_month) else {
        return Outcome::Declined("invalid_card");
    };
    let cvc = cvc.trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Outcome::Declined("invalid_card");
    }
    let brand = match number.as_str() {
        SUCCESS_VISA => "visa",
        SUCCESS_MASTERCARD => "mastercard",
        INSUFFICIENT_FUNDS => return Outcome::Declined("insufficient_funds"),
        _ => return Outcome::Declined("card_declined"),
    };
    Outcome::Paid {
        brand,
        last4: number[number.len() - 4..].to_owned(),
        exp_month,
        exp_year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_decide_the_outcome() {
        assert!(matches!(
            charge("4242 4242 4242 4242", "12/30", "123", 2026, 12),
            Outcome::Paid { brand: "visa", ref last4, exp_month: 12, exp_year: 2030 } if last4 == "4242"
        ));
        assert_eq!(
            charge(DECLINED, "12/30", "123", 2026, 12),
            Outcome::Declined("card_declined")
        );
        assert_eq!(
            charge(INSUFFICIENT_FUNDS, "12/30", "123", 2026, 12),
            Outcome::Declined("insufficient_funds")
        );
        assert_eq!(
            charge("4242424242424241", "12/30", "123", 2026, 12),
            Outcome::Declined("invalid_card")
        );
        assert_eq!(
            charge(SUCCESS_VISA, "11/26", "123", 2026, 12),
            Outcome::Declined("invalid_card")
        );
        assert_eq!(
            charge(SUCCESS_VISA, "12/26", "12", 2026, 12),
            Outcome::Declined("invalid_card")
        );
    }
}
