//! Who may call what: staff sessions through `libs/auth`'s extractors, and the role
//! requirements of the console's handlers.

use axum::http::HeaderMap;
use platform_auth::csrf::DoubleSubmit;
use platform_auth::extract::{Principal, RoleRequirement, SessionAuthority};
use platform_domain::StaffRole;

use crate::app::AppState;
use crate::app::staff::{self, SESSION, Staff};
use crate::error::ApiError;

impl Principal for Staff {
    type Role = StaffRole;

    fn role(&self) -> StaffRole {
        self.role
    }

    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl SessionAuthority<Staff> for AppState {
    type Error = ApiError;

    async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Staff>, ApiError> {
        let Some((scope, token)) = SESSION.read(headers) else {
            return Ok(None);
        };
        let Ok(tenant) = scope.parse() else {
            return Ok(None);
        };
        staff::authenticate(self, tenant, &token).await
    }
}

/// The shop's owner: catalog, settings, policy and staff changes.
pub struct Owner;

impl RoleRequirement<StaffRole> for Owner {
    fn allows(role: StaffRole) -> bool {
        role == StaffRole::Owner
    }
}

/// The double-submit token of the forms shown before login (sign-up, login).
pub const PRE_LOGIN_CSRF: DoubleSubmit = DoubleSubmit::new("__Host-admin_csrf");

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
