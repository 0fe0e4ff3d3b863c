//! All SQL of the orders service, on the tenancy transaction (the `orders` role under
//! each shop's row-level security).

pub mod catalog;
pub mod guardians;
pub mod idempotency;
pub mod keys;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod privacy;
pub mod retention;
pub mod subjects;
pub mod subscriptions;
