//! Who may call what: operator sessions through `libs/auth`'s extractors (the session
//! must match the client certificate of the connection), and the role requirements of
//! the handlers.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use platform_auth::csrf::DoubleSubmit;
use platform_auth::extract::{Principal, RoleRequirement, SessionAuthority};
use platform_domain::{PlatformRole, PlatformRoles};
use platform_web::Caller;

use crate::app::AppState;
use crate::app::operator::{self, Operator};
use crate::error::ApiError;

impl Principal for Operator {
    type Roles = PlatformRoles;

    fn roles(&self) -> PlatformRoles {
        self.roles
    }

    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

/// The SHA-256 of the client certificate this connection presented (verified by the
/// TLS layer against the platform staff CA).
pub fn fingerprint(extensions: &Extensions) -> Option<[u8; 32]> {
    extensions.get::<Caller>().and_then(Caller::fingerprint)
}

impl SessionAuthority<Operator> for AppState {
    type Error = ApiError;

    async fn authenticate(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Option<Operator>, ApiError> {
        operator::authenticate(self, headers, fingerprint(extensions)).await
    }
}

/// The connection's client certificate, for the login handlers.
pub struct Certificate(pub Option<[u8; 32]>);

impl<S: Send + Sync> FromRequestParts<S> for Certificate {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Certificate(fingerprint(&parts.extensions)))
    }
}

/// Asking shops for grants and reading under them: support and billing operations (and
/// security officers, who read under a grant like anyone else).
pub struct Requester;

impl RoleRequirement<PlatformRoles> for Requester {
    fn allows(roles: PlatformRoles) -> bool {
        roles.iter().any(PlatformRole::may_request_grants)
    }
}

/// The platform's health and aggregate figures: SRE and security officers.
pub struct Operations;

impl RoleRequirement<PlatformRoles> for Operations {
    fn allows(roles: PlatformRoles) -> bool {
        roles.contains(PlatformRole::Sre) || roles.contains(PlatformRole::Security)
    }
}

/// Managing platform staff: security officers.
pub struct SecurityOfficer;

impl RoleRequirement<PlatformRoles> for SecurityOfficer {
    fn allows(roles: PlatformRoles) -> bool {
        roles.contains(PlatformRole::Security)
    }
}

/// The double-submit token of the login form.
pub const PRE_LOGIN_CSRF: DoubleSubmit = DoubleSubmit::new("__Host-ops_csrf");

/// Implements `CsrfField` for console forms with a `csrf: String` field.
macro_rules! csrf_forms {
    ($($form:ty),+ $(,)?) => {
        $(impl platform_auth::extract::CsrfField for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use csrf_forms;
