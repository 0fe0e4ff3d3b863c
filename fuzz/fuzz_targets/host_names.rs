//! Host names a merchant types and redirect patterns an operator configures: never a
//! panic; an accepted host name is lower case and parses again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platform_web::HostPattern;

fuzz_target!(|input: (&str, &str)| {
    let (raw, host) = input;
    if let Ok(name) = tenant_admin::parsers::parse_host_name(raw) {
        assert_eq!(name, name.to_ascii_lowercase());
        assert_eq!(
            tenant_admin::parsers::parse_host_name(&name).ok(),
            Some(name)
        );
    }
    if let Ok(pattern) = raw.parse::<HostPattern>() {
        let _ = pattern.matches(host);
    }
});
