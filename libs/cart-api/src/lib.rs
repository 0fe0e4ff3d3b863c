//! The cart service's contract: what crosses between the cart and its callers. The cart
//! ids and modes, the wire types of its API, its error codes as an enum, and the typed
//! [`CartClient`] the storefront (and soon checkout) uses over mutual TLS.
//!
//! The client takes parsed ids only ([`CartId`], [`VariantId`], [`TenantId`]) and builds
//! every URL from path segments it encodes itself, so no text from a visitor can change
//! which cart API path is called.
//!
//! What this crate must never do: depend on the cart service itself, or carry a price a
//! caller could set (prices are read from the catalog by the cart).

mod client;
mod error_code;
mod ids;
mod wire;

pub use client::{CartCallError, CartClient, ClientSetupError};
pub use error_code::ErrorCode;
pub use ids::{CartId, MalformedCartId};
pub use platform_domain::VariantId;
pub use platform_tenancy::TenantId;
pub use wire::{
    AddLine, CartView, LineChanged, LineView, Mode, ModeQuery, Prefill, SetQuantity, Summary,
};
