//! Authentication building blocks shared by every console (O9): the merchant console
//! today, the platform's access-control console next, unchanged.
//!
//! - [`Hasher`]: argon2id with the OWASP parameters (m = 19,456 KiB, t = 2, p = 1). Hashing
//!   runs on the blocking pool behind a semaphore sized to the CPUs, so a login flood
//!   queues (and is refused after a short wait) instead of starving other routes.
//! - [`Token`]: random 256-bit tokens for sessions and CSRF; only their SHA-256 is stored.
//! - [`LoginPolicy`]: soft lockout after consecutive failures and a per-account hourly cap.
//! - [`NetworkLimiter`]: failures per client network (IPv4 /24, IPv6 /48) in a window.
//! - [`SessionCookie`] and [`SessionLimits`]: the session cookie (`__Host-`, `Secure`,
//!   `HttpOnly`, `SameSite=Strict`) and the idle and absolute timeouts.
//! - [`totp`]: the second factor: TOTP codes (`totp-rs`) and hashed recovery codes.
//! - [`csrf`]: the synchroniser token of a session and the double-submit token of forms
//!   shown before login.
//! - [`extract`]: extractors that state what a handler needs: a session
//!   ([`extract::Authenticated`]), a role ([`extract::RequireRole`]), a CSRF-checked form
//!   ([`extract::CheckedForm`]); pages get [`extract::PageSession`], which sends a visitor
//!   without a session to the login page.
//!
//! What this crate must never do: log or return a password or a token, compare secrets in
//! variable time, or implement cryptography itself.

mod clock;
pub mod csrf;
pub mod extract;
mod limiter;
mod lockout;
mod lockout_book;
mod password;
mod session;
mod token;
pub mod totp;

pub use clock::Clock;
pub use limiter::NetworkLimiter;
pub use lockout::LoginPolicy;
pub use lockout_book::LockoutBook;
pub use password::{Hasher, PASSWORD_MAX, PASSWORD_MIN, check_password_policy};
pub use session::{Freshness, SessionCookie, SessionLimits};
pub use token::{Token, secrets_equal};

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use secrecy::SecretString;
    use std::time::Duration;

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
