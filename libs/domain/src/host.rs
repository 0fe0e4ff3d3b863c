//! Host names: the one check of DNS syntax that shop hosts and redirect patterns share.

/// Whether `name` is a DNS name as the platform stores them: lower-case ASCII labels of
/// letters, digits and inner hyphens, 1–63 characters each, at most 253 in all.
pub fn is_dns_name(name: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_lower_case_labels() {
        for ok in ["localhost", "alpine.shop.localhost", "a-1.example", "x"] {
            assert!(is_dns_name(ok), "{ok}");
        }
        let long_label = "a".repeat(64);
        for bad in [
            "",
            "A.example",
            "a..b",
            "-a.b",
            "a-.b",
            "a b",
            "a/b",
            long_label.as_str(),
        ] {
            assert!(!is_dns_name(bad), "{bad:?}");
        }
    }
}
