//! The cart id.

/// Text that is not a cart id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed cart id")]
pub struct MalformedCartId;

/// A cart id: 128 random bits, written as 32 lowercase hex digits. It is the whole
/// content of the `cart` cookie and of the cookie-less URL token (O4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CartId(u128);

impl CartId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        CartId(u128::from_be_bytes(bytes))
    }

    /// Parses the 32-lowercase-hex-digit form; anything else is malformed.
    pub fn parse(text: &str) -> Result<Self, MalformedCartId> {
        if text.len() != 32
            || !text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(MalformedCartId);
        }
        u128::from_str_radix(text, 16)
            .map(CartId)
            .map_err(|_| MalformedCartId)
    }
}

impl std::fmt::Display for CartId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_ids_round_trip_and_reject_other_shapes() {
        let id = CartId::random();
        assert_eq!(CartId::parse(&id.to_string()), Ok(id));
        assert_ne!(CartId::random(), id);
        for bad in ["", "abc", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert!(CartId::parse(bad).is_err(), "{bad}");
        }
    }
}
