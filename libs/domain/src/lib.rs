//! Domain values every service shares, each built valid or not at all: id newtypes,
//! [`Money`] in ISO 4217 minor units, statuses and staff roles as enums, the shop's
//! [`CheckoutFields`] (O2), and the [`DataClass`] vocabulary with the merchant role matrix
//! (O8).
//!
//! Nothing here knows HTTP; Postgres mappings exist behind the `sqlx` feature only, so a
//! contract crate can use these types without pulling a database driver.
//!
//! What this crate must never do: let an invalid value be built (an amount in two
//! currencies, an unknown role), or carry personal data itself.

mod checkout;
mod colour;
mod consent;
pub mod contact;
mod country;
mod data_class;
mod error_codes;
mod host;
mod ids;
mod invalid;
mod money;
mod platform;
mod privacy;
mod retention;
mod status;
mod text;
#[cfg(feature = "sqlx")]
mod text_sql;

pub use checkout::{CheckoutField, CheckoutFields, FieldRule};
pub use colour::{Accent, contrast_with_white};
pub use consent::{
    AgeBand, ConsentSource, GUARDIAN_LINK_DAYS, GuardianStatus, SUBSCRIBE_LINK_HOURS,
    SubscriptionStatus, WithdrawalMethod,
};
pub use country::Country;
pub use data_class::{Access, Clearance, DataClass, MASK, Permission, RoleSet, Shown, StaffRole};
pub use host::is_dns_name;
pub use ids::{
    CollectionId, IdError, ImageId, NewsletterId, OrderId, PolicyId, ProductId, RequestId,
    ShippingRateId, StaffId, SubscriptionId, VariantId,
};
pub use invalid::Invalid;
pub use money::{Currency, Money, MoneyError, percent_text};
pub use platform::{
    BREAK_GLASS_MAX_MINUTES, BREAK_GLASS_MIN_REASON, GRANT_DEFAULT_MINUTES, GRANT_MAX_MINUTES,
    GRANT_PENDING_HOURS, GrantPurpose, INCIDENT_NOTE_HOURS, PlatformRole, PlatformRoles,
};
pub use privacy::{
    Deadline, EXPORT_LINK_DAYS, REQUEST_LINK_HOURS, REQUEST_REMINDER_DAYS, RequestKind,
    RequestSource, RequestStatus,
};
pub use retention::RetentionClass;
pub use status::{OrderStatus, PolicyStatus, ProductStatus, ShopStatus};
pub use text::{normalise_prose, paragraphs};
