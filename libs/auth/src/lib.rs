//! Authentication building blocks shared by every console (O9).
//!
//! - [`Hasher`]: argon2id with the OWASP parameters (m = 19,456 KiB, t = 2, p = 1). Hashing
//!   runs on the blocking pool behind a semaphore sized to the CPUs, so a login flood
//!   queues (and is refused after a short wait) instead of starving other routes.
//! - [`Token`]: random 256-bit tokens for sessions and CSRF; only their SHA-256 is stored.
//! - [`LoginPolicy`]: soft lockout after consecutive failures and a per-account hourly cap.
//!
//! What this crate must never do: log or return a password or a token, compare secrets in
//! variable time, or implement cryptography itself.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Every hashing slot stayed busy for the whole wait: the caller should answer 503.
    #[error("password hashing is saturated")]
    Busy,
    /// The password does not meet the policy.
    #[error("{0}")]
    WeakPassword(&'static str),
    /// Hashing failed (should not happen with valid parameters).
    #[error("password hashing failed")]
    Hash,
}

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

/// Minimum and maximum password lengths (characters).
pub const PASSWORD_MIN: usize = 12;
/// See [`PASSWORD_MIN`].
pub const PASSWORD_MAX: usize = 128;

fn argon() -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|_| AuthError::Hash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password against the policy (length only, as NIST SP 800-63B advises;
/// no composition rules).
pub fn check_password_policy(password: &SecretString) -> Result<(), AuthError> {
    let n = password.expose_secret().chars().count();
    if n < PASSWORD_MIN {
        return Err(AuthError::WeakPassword(
            "The password must have at least 12 characters.",
        ));
    }
    if n > PASSWORD_MAX {
        return Err(AuthError::WeakPassword(
            "The password must have at most 128 characters.",
        ));
    }
    Ok(())
}

/// Bounded argon2id hashing and verification.
#[derive(Clone, Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    wait: Duration,
    /// A hash of a random password, verified against when an account does not exist, so
    /// that "no such account" and "wrong password" take the same time.
    decoy: Arc<String>,
}

impl Hasher {
    /// A hasher allowing `slots` concurrent hashes, each caller waiting at most `wait`.
    pub fn new(slots: usize, wait: Duration) -> Result<Self, AuthError> {
        let decoy = argon()?
            .hash_password(Token::generate().as_str().as_bytes())
            .map_err(|_| AuthError::Hash)?
            .to_string();
        Ok(Hasher {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
            decoy: Arc::new(decoy),
        })
    }

    /// One slot per CPU, two seconds of patience.
    pub fn for_this_machine() -> Result<Self, AuthError> {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cpus, Duration::from_secs(2))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|_| AuthError::Hash)?;
        Ok(out)
    }

    /// Hashes a password (PHC string with a fresh random salt).
    pub async fn hash(&self, password: SecretString) -> Result<String, AuthError> {
        self.run(move || {
            argon()?
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|_| AuthError::Hash)
        })
        .await?
    }

    /// Verifies a password against a stored PHC string; `None` (no such account) verifies
    /// against the decoy and returns false, taking the same time.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, AuthError> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.decoy.as_str().to_owned());
        let ok = self
            .run(move || {
                argon()
                    .map(|a| {
                        a.verify_password(password.expose_secret().as_bytes(), phc.as_str())
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await?;
        Ok(ok && exists)
    }
}

/// A random 256-bit token (URL-safe base64). Its [`Token::digest`] is what gets stored.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

impl Token {
    /// A fresh token from the thread's CSPRNG (seeded by the OS).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Token(B64.encode(bytes))
    }

    /// Parses a presented token; `None` unless it has the exact shape of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = B64.decode(text).ok()?;
        (bytes.len() == 32).then(|| Token(text.to_owned()))
    }

    /// The text form (cookie value, form field).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the token: the database key of a session.
    pub fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// Constant-time equality of two secrets (CSRF tokens).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The login throttling rules.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Consecutive failures allowed before the soft lockout starts.
    pub free_failures: u32,
    /// Longest soft-lockout delay.
    pub max_delay: Duration,
    /// Hard cap of failed attempts per account in any rolling hour.
    pub hourly_failures: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            free_failures: 5,
            max_delay: Duration::from_secs(60),
            hourly_failures: 100,
        }
    }
}

impl LoginPolicy {
    /// After `streak` consecutive failures ending at `now`, until when are attempts
    /// refused without checking the password? Doubling from one second, capped.
    pub fn locked_until(&self, streak: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if streak < self.free_failures {
            return None;
        }
        let exp = (streak - self.free_failures).min(16);
        let delay = Duration::from_secs(1u64 << exp).min(self.max_delay);
        chrono::Duration::from_std(delay).ok().map(|d| now + d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_argon2id() {
        let h = Hasher::new(2, Duration::from_secs(5)).unwrap();
        let phc = h
            .hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            h.verify(
                SecretString::from("correct horse battery"),
                Some(phc.clone())
            )
            .await
            .unwrap()
        );
        assert!(
            !h.verify(SecretString::from("wrong horse battery"), Some(phc))
                .await
                .unwrap()
        );
        assert!(
            !h.verify(SecretString::from("anything at all"), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn saturation_is_refused_not_queued_forever() {
        let h = Hasher::new(1, Duration::from_millis(1)).unwrap();
        let slow = {
            let h = h.clone();
            tokio::spawn(async move { h.hash(SecretString::from("a long enough password")).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let refused = h.hash(SecretString::from("another long password")).await;
        assert!(matches!(refused, Err(AuthError::Busy)));
        assert!(slow.await.unwrap().is_ok());
    }

    #[test]
    fn tokens_are_random_parseable_and_digested() {
        let (a, b) = (Token::generate(), Token::generate());
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(Token::parse(a.as_str()).unwrap().digest(), a.digest());
        assert!(Token::parse("short").is_none());
        assert!(secrets_equal(a.as_str(), a.as_str()));
        assert!(!secrets_equal(a.as_str(), b.as_str()));
    }

    #[test]
    fn lockout_grows_and_is_capped() {
        let p = LoginPolicy::default();
        let now = Utc::now();
        assert_eq!(p.locked_until(4, now), None);
        assert_eq!(
            p.locked_until(5, now),
            Some(now + chrono::Duration::seconds(1))
        );
        assert_eq!(
            p.locked_until(7, now),
            Some(now + chrono::Duration::seconds(4))
        );
        assert_eq!(
            p.locked_until(40, now),
            Some(now + chrono::Duration::seconds(60))
        );
        assert!(check_password_policy(&SecretString::from("short")).is_err());
        assert!(check_password_policy(&SecretString::from("twelve chars")).is_ok());
    }
}
