//! Password hashing (argon2id, bounded concurrency) and the password policy.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::{AuthError, Token};

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
