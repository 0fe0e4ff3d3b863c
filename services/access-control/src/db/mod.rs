//! All SQL of the service. Platform staff and their sessions are platform tables (a
//! [`platform_tenancy::PlatformTx`]); grants and a shop's orders are read in a transaction
//! scoped to the shop and to the operator, so the grant policies see who asks.

pub mod disclosures;
pub mod grants;
pub mod metrics;
pub mod orders;
pub mod staff;
