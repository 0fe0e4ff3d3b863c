//! Cart ids from cookies and cookie-less paths: never a panic; what parses prints back
//! to the same id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platform_cart_api::CartId;

fuzz_target!(|text: &str| {
    if let Ok(id) = CartId::parse(text) {
        assert_eq!(CartId::parse(&id.to_string()).ok(), Some(id));
    }
});
