//! All of the storefront's SQL, as the `storefront` role on the tenancy layer's
//! transactions. The role's restrictive policies show active products and published
//! policies only.

pub mod catalog;
pub mod search;
pub mod shops;
pub mod view_counts;
