//! Catalog CSV uploads: any bytes are accepted or refused with row-numbered errors, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platform_domain::Currency;

fuzz_target!(|bytes: &[u8]| {
    let _ = tenant_admin::parsers::catalog_csv(bytes, Currency::EUR);
});
