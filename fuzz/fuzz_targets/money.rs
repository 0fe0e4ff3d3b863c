//! Amounts as people type them: never a panic; what parses is non-negative and prints
//! back to the same amount.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platform_domain::{Currency, Money};

fuzz_target!(|input: (&str, &str)| {
    let (code, amount) = input;
    let Ok(currency) = Currency::parse(code) else {
        return;
    };
    if let Ok(money) = Money::parse(amount, currency) {
        assert!(money.minor >= 0, "{amount:?} parsed negative");
        assert_eq!(
            Money::parse(&money.amount_text(), currency).ok(),
            Some(money)
        );
    }
});
