//! The ciphertext format of sealed fields.
//!
//! ```text
//! byte 0      format version (1)
//! byte 1      key kind: 1 = tenant data key, 2 = data-subject key
//! bytes 2..18 key id (UUID)
//! bytes 18..22 key version (u32, big endian)
//! then        nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16)
//! ```
//!
//! The 22-byte header, the tenant id and the field context are the associated data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use platform_tenancy::TenantId;
use uuid::Uuid;

use crate::VaultError;

const FORMAT: u8 = 1;
const HEADER_LEN: usize = 22;
const MIN_BODY: usize = 12 + 16;

/// Which kind of key sealed a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The tenant's data key.
    Tenant,
    /// A data subject's own key.
    Subject,
}

impl KeyKind {
    fn byte(self) -> u8 {
        match self {
            KeyKind::Tenant => 1,
            KeyKind::Subject => 2,
        }
    }
}

/// A sealed field: header and ciphertext, stored as `bytea` (or base64 where only text fits).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(Vec<u8>);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

impl Sealed {
    pub(crate) fn header(kind: KeyKind, key_id: Uuid, version: i32) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = FORMAT;
        h[1] = kind.byte();
        h[2..18].copy_from_slice(key_id.as_bytes());
        h[18..22].copy_from_slice(&(version as u32).to_be_bytes());
        h
    }

    pub(crate) fn aad(header: &[u8], tenant: TenantId, context: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(header.len() + 16 + context.len());
        aad.extend_from_slice(header);
        aad.extend_from_slice(tenant.as_uuid().as_bytes());
        aad.extend_from_slice(context.as_bytes());
        aad
    }

    pub(crate) fn from_parts(header: [u8; HEADER_LEN], body: Vec<u8>) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_LEN + body.len());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&body);
        Sealed(bytes)
    }

    /// Parses stored bytes, checking the header's shape (not the authenticity: that is
    /// checked when the field is opened).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, VaultError> {
        if bytes.len() < HEADER_LEN + MIN_BODY || bytes[0] != FORMAT || !matches!(bytes[1], 1 | 2) {
            return Err(VaultError::Malformed);
        }
        Ok(Sealed(bytes))
    }

    /// The stored form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The stored form, consumed.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// URL-safe base64 text form (for Redis values and JSON).
    pub fn to_base64(&self) -> String {
        B64.encode(&self.0)
    }

    /// Parses the text form.
    pub fn from_base64(text: &str) -> Result<Self, VaultError> {
        let bytes = B64.decode(text).map_err(|_| VaultError::Malformed)?;
        Self::from_bytes(bytes)
    }

    /// The kind, id and version of the key that sealed this field.
    pub fn key_ref(&self) -> Result<(KeyKind, Uuid, i32), VaultError> {
        let kind = match self.0[1] {
            1 => KeyKind::Tenant,
            2 => KeyKind::Subject,
            _ => return Err(VaultError::Malformed),
        };
        let id = Uuid::from_slice(&self.0[2..18]).map_err(|_| VaultError::Malformed)?;
        let mut v = [0u8; 4];
        v.copy_from_slice(&self.0[18..22]);
        let version = i32::try_from(u32::from_be_bytes(v)).map_err(|_| VaultError::Malformed)?;
        Ok((kind, id, version))
    }

    pub(crate) fn header_bytes(&self) -> &[u8] {
        &self.0[..HEADER_LEN]
    }

    pub(crate) fn body(&self) -> &[u8] {
        &self.0[HEADER_LEN..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_or_foreign_bytes() {
        assert!(Sealed::from_bytes(vec![]).is_err());
        assert!(Sealed::from_bytes(vec![1; 49]).is_err());
        let mut ok = vec![0u8; HEADER_LEN + MIN_BODY];
        ok[0] = FORMAT;
        ok[1] = 2;
        assert!(Sealed::from_bytes(ok.clone()).is_ok());
        ok[0] = 9;
        assert!(Sealed::from_bytes(ok).is_err());
        assert!(Sealed::from_base64("!!!").is_err());
    }

    #[test]
    fn header_round_trips_the_key_reference() {
        let id = Uuid::new_v4();
        let sealed = Sealed::from_parts(Sealed::header(KeyKind::Subject, id, 7), vec![0; MIN_BODY]);
        let again = Sealed::from_base64(&sealed.to_base64()).ok();
        assert_eq!(again.as_ref(), Some(&sealed));
        assert!(matches!(sealed.key_ref(), Ok((KeyKind::Subject, got, 7)) if got == id));
    }
}
