//! The second factor (O9): TOTP codes (RFC 6238: SHA-1, 6 digits, 30-second steps, one
//! step of clock drift either way) through `totp-rs`, and single-use recovery codes of
//! which only SHA-256 digests are stored.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::secrets_equal;

/// Seconds per step.
const STEP: u64 = 30;
/// How many recovery codes a member gets.
pub const RECOVERY_CODES: usize = 10;

/// A member's TOTP key (160 random bits) and what an authenticator app shows with it.
pub struct Totp {
    totp: TOTP,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Totp { .. }")
    }
}

/// The secret is not a usable TOTP key.
#[derive(Debug, thiserror::Error)]
#[error("not a usable TOTP secret")]
pub struct TotpError;

impl Totp {
    /// A new random secret, to seal and keep.
    pub fn generate_secret() -> Zeroizing<Vec<u8>> {
        let mut secret = Zeroizing::new(vec![0u8; 20]);
        rand::fill(&mut secret[..]);
        secret
    }

    /// The TOTP of a kept `secret`, labelled `account` under `issuer` in the app.
    pub fn new(secret: &[u8], issuer: &str, account: &str) -> Result<Self, TotpError> {
        // Issuers and accounts may not contain ':' in otpauth URLs.
        let clean = |s: &str| s.replace(':', " ");
        TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            STEP,
            secret.to_vec(),
            Some(clean(issuer)),
            clean(account),
        )
        .map(|totp| Totp { totp })
        .map_err(|_| TotpError)
    }

    /// The TOTP of a base32 secret as an app shows it (tests and dev tools compute codes
    /// with it).
    pub fn from_base32(secret: &str) -> Result<Self, TotpError> {
        let bytes = totp_rs::Secret::Encoded(secret.trim().to_owned())
            .to_bytes()
            .map_err(|_| TotpError)?;
        Self::new(&bytes, "", "code")
    }

    /// The code of now (system clock).
    pub fn current_code(&self) -> String {
        self.totp.generate(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// The `otpauth://` URL an authenticator app imports.
    pub fn url(&self) -> String {
        self.totp.get_url()
    }

    /// The secret in base32, to type into an app by hand.
    pub fn secret_base32(&self) -> String {
        self.totp.get_secret_base32()
    }

    /// The code of the step that contains `unix_secs`.
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.totp.generate(unix_secs)
    }

    /// The step of `code` at `unix_secs` (the current step or one either side), when it is
    /// right and newer than `last_step`: a code is good once, never replayed.
    pub fn verify(&self, code: &str, unix_secs: u64, last_step: Option<u64>) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 {
            return None;
        }
        let now = unix_secs / STEP;
        [now.saturating_sub(1), now, now + 1]
            .into_iter()
            .filter(|step| last_step.is_none_or(|last| *step > last))
            .find(|step| secrets_equal(&self.totp.generate(step * STEP), &code))
    }
}

/// A fresh set of recovery codes (`xxxxx-xxxxx`, 50 random bits each) to show once, and
/// their digests to store.
pub fn recovery_codes() -> (Vec<String>, Vec<[u8; 32]>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::fill(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect();
    let digests = codes.iter().map(|c| recovery_digest(c)).collect();
    (codes, digests)
}

/// The stored digest of a recovery code as typed (case, spaces and dashes ignored).
pub fn recovery_digest(typed: &str) -> [u8; 32] {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(format!("recovery:{normal}").as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o9_codes_verify_once_within_one_step_of_drift() {
        let secret = Totp::generate_secret();
        let t = Totp::new(&secret, "Shop: admin", "a@b.example").unwrap();
        let now = 1_800_000_000;
        let code = t.code_at(now);
        let step = t.verify(&code, now, None).unwrap();
        assert_eq!(step, now / 30);
        // The same code again is a replay.
        assert_eq!(t.verify(&code, now, Some(step)), None);
        // The next step's code is still good after it.
        assert!(t.verify(&t.code_at(now + 30), now, Some(step)).is_some());
        // Two steps away: refused.
        assert_eq!(t.verify(&t.code_at(now + 90), now, None), None);
        assert_eq!(t.verify("12345", now, None), None);
        assert!(t.url().starts_with("otpauth://totp/"), "{}", t.url());
    }

    #[test]
    fn o9_recovery_codes_are_random_and_match_as_typed() {
        let (codes, digests) = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_digest(&codes[0].to_uppercase().replace('-', " ")),
            digests[0]
        );
        assert_ne!(digests[0], digests[1]);
    }
}
