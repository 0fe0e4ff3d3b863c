//! No card number past the front door (O3): card data goes from the buyer's browser to
//! the payment processor's own page, never to the platform. A request to a route of ours
//! whose query or body holds what looks like a payment card number (a Luhn-valid run of
//! 13 to 19 digits, typed plain or in groups split by single spaces or dashes) is refused
//! with `422 request.card_number` before any handler, log line or store sees it.
//!
//! What is not read as a card: a digit run inside a word or a hyphenated token (hex keys,
//! UUID segments), a run that starts with `0` or follows a `+` (phone numbers; no card
//! network issues numbers starting with 0), and runs of 20 digits or more.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::WebError;

/// The largest body the guard reads (axum's default body limit).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// True when `digits` (ASCII digits only) pass the Luhn check.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let n = u32::from(d - b'0');
            if i % 2 == 1 {
                let doubled = n * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                n
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The text as a person typed it: percent-escapes and `+` of form encoding undone.
fn decoded(raw: &[u8]) -> Vec<u8> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space).collect()
}

/// True when `text` holds something that reads as a payment card number.
pub fn holds_card_number(text: &[u8]) -> bool {
    let alnum = |i: usize| text.get(i).is_some_and(u8::is_ascii_alphanumeric);
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::with_capacity(19);
        let mut end = i;
        // Digit groups joined by single spaces or dashes.
        while end < text.len() {
            if text[end].is_ascii_digit() {
                digits.push(text[end]);
                end += 1;
            } else if matches!(text[end], b' ' | b'-')
                && text.get(end + 1).is_some_and(u8::is_ascii_digit)
                && end > start
            {
                end += 1;
            } else {
                break;
            }
        }
        i = end.max(start + 1);
        let before = start.checked_sub(1).map(|b| text[b]);
        let inside_token = start > 0 && alnum(start - 1)
            || matches!(before, Some(b'-' | b'_' | b'.')) && start > 1 && alnum(start - 2)
            || alnum(end)
            || matches!(text.get(end), Some(b'-' | b'_' | b'.')) && alnum(end + 1);
        let phone = before == Some(b'+') || digits.first() == Some(&b'0');
        if !inside_token && !phone && (13..=19).contains(&digits.len()) && luhn(&digits) {
            return true;
        }
    }
    false
}

fn refused() -> Response {
    WebError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "request.card_number",
        "Card numbers are never sent to this shop: you type them on the payment provider's page. Please remove it and try again.",
    )
    .into_response()
}

/// The middleware: refuses a request whose query or body holds a card number.
pub async fn refuse_card_numbers(request: Request, next: Next) -> Response {
    if let Some(query) = request.uri().query()
        && (holds_card_number(query.as_bytes()) || holds_card_number(&decoded(query.as_bytes())))
    {
        return refused();
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return WebError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                "The body is larger than this operation takes.",
            )
            .into_response();
        }
    };
    if holds_card_number(&bytes) || holds_card_number(&decoded(&bytes)) {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o3_card_numbers_are_found_however_they_are_typed() {
        for card in [
            "4242424242424242",
            "4242 4242 4242 4242",
            "4242-4242-4242-4242",
            "378282246310005",
            "card=4000056655665556&x=1",
            "{\"note\":\"5555555555554444\"}",
        ] {
            assert!(holds_card_number(card.as_bytes()), "{card}");
        }
        assert!(holds_card_number(&decoded(b"card=4242+4242+4242+4242")));
        assert!(holds_card_number(&decoded(b"n=4242%204242%204242%204242")));
    }

    #[test]
    fn o3_other_digits_pass() {
        for other in [
            "4242424242424241",                        // fails Luhn
            "424242424242",                            // 12 digits
            "42424242424242424242",                    // 20 digits
            "key=a4242424242424242f",                  // inside a token
            "id=aaaaaaaa-bbbb-cccc-1234-123456789012", // UUID segments
            "phone=+4917012345678901",                 // after a +
            "phone=004917012345678",                   // starts with 0
            "{\"expected_total_minor\": 4470, \"quantity\": 2}",
            "name=Ada+Lovelace&postal_code=10115",
        ] {
            assert!(!holds_card_number(other.as_bytes()), "{other}");
            assert!(!holds_card_number(&decoded(other.as_bytes())), "{other}");
        }
        assert!(luhn(b"79927398713"));
    }
}
