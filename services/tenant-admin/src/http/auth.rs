//! Who may call what: staff sessions through `libs/auth`'s extractors, and the role
//! requirements of the console's handlers.

use axum::http::HeaderMap;
use platform_auth::csrf::DoubleSubmit;
use platform_auth::extract::{Principal, RoleRequirement, SessionAuthority};
use platform_domain::{Permission, RoleSet};

use crate::app::AppState;
use crate::app::staff::{self, SESSION, Staff};
use crate::error::ApiError;

impl Principal for Staff {
    type Roles = RoleSet;

    fn roles(&self) -> RoleSet {
        self.roles
    }

    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

impl SessionAuthority<Staff> for AppState {
    type Error = ApiError;

    async fn authenticate(
        &self,
        headers: &HeaderMap,
        _: &axum::http::Extensions,
    ) -> Result<Option<Staff>, ApiError> {
        let Some((scope, token)) = SESSION.read(headers) else {
            return Ok(None);
        };
        let Ok(tenant) = scope.parse() else {
            return Ok(None);
        };
        let staff = staff::authenticate(self, tenant, &token).await?;
        Ok(staff.map(|s| Staff {
            request_id: headers
                .get(platform_web::REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(100).collect()),
            ..s
        }))
    }
}

/// Declares a requirement type per permission of the role matrix
/// (`platform_domain::Permission`), so that handlers state what they need.
macro_rules! permits {
    ($($(#[$doc:meta])* $name:ident => $permission:ident),+ $(,)?) => {
        $($(#[$doc])* pub struct $name;

        impl RoleRequirement<RoleSet> for $name {
            fn allows(roles: RoleSet) -> bool {
                roles.may(Permission::$permission)
            }
        })+
    };
}

permits!(
    /// Settings, checkout, privacy policy, payment keys: owners.
    ShopAdmin => ManageShop,
    /// Products, collections, CSV: owners and catalog managers.
    CatalogEditor => ManageCatalog,
    /// The orders, masked to the viewer: everyone but catalog managers.
    OrderViewer => ViewOrders,
    /// Refunds: owners and billing clerks.
    Refunder => Refund,
    /// Shipping and delivery: owners and fulfilment.
    Shipper => Ship,
    /// Cancelling an unpaid order: owners, billing and customer service.
    Canceller => CancelOrder,
    /// Staff, the access review and the audit log: owners.
    StaffAdmin => ManageStaff,
    /// Visitors' data requests: owners and customer service.
    RequestHandler => HandleRequests,
    /// Newsletters to confirmed subscribers: owners and catalog managers.
    NewsletterSender => SendNewsletter,
);

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

/// How a member's sessions page names a session's client: the browser family from the
/// `User-Agent` and the client's network (IPv4 /24, IPv6 /48), never the full address.
pub fn client_label(headers: &HeaderMap, ip: std::net::IpAddr) -> String {
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Order matters: Chrome's agent also says Safari, Edge's also says Chrome.
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map_or("Another client", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| format!(" on {name}"))
    .unwrap_or_default();
    format!(
        "{browser}{system} · network {}",
        platform_web::truncate_ip(ip)
    )
}
