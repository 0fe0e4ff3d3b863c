//! All of tenant-admin's SQL, as functions on the tenancy layer's transactions, returning
//! typed rows. Lists are one query each. Unique violations become conflicts here, next to
//! the statement that raised them.

pub mod access;
pub mod catalog_csv;
pub mod checkout;
pub mod collections;
pub mod images;
pub mod policies;
pub mod products;
pub mod settings;
pub mod shops;
pub mod staff;
pub mod team;
