use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TenancyError;

/// The identifier of a tenant (a merchant's shop): a random UUID, never a sequence number,
/// so ids reveal nothing about how many tenants the platform has.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct TenantId(Uuid);

impl TenantId {
    /// A fresh random tenant id.
    pub fn random() -> Self {
        TenantId(Uuid::new_v4())
    }

    /// Wraps a UUID read from a trusted source (the `tenants` table).
    pub fn from_uuid(id: Uuid) -> Self {
        TenantId(id)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for TenantId {
    type Err = TenancyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = Uuid::parse_str(s).map_err(|_| TenancyError::InvalidTenantId)?;
        if id.is_nil() {
            return Err(TenancyError::InvalidTenantId);
        }
        Ok(TenantId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_hyphenated() {
        let id = TenantId::random();
        assert_eq!(id.to_string().parse::<TenantId>().ok(), Some(id));
    }

    #[test]
    fn rejects_garbage_and_nil() {
        assert!("not-a-uuid".parse::<TenantId>().is_err());
        assert!(
            "00000000-0000-0000-0000-000000000000"
                .parse::<TenantId>()
                .is_err()
        );
        assert!("".parse::<TenantId>().is_err());
    }
}
