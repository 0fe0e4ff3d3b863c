//! The wire types of the cart API, shared with its callers (the storefront depends on
//! this module rather than keeping a copy that could drift).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::domain::{Mode, Prefill};

/// One priced line of a cart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LineView {
    /// Variant id.
    pub variant_id: Uuid,
    /// Product handle, for a link; empty when the variant no longer exists.
    pub product_handle: String,
    /// Product title.
    pub product_title: String,
    /// Variant title.
    pub variant_title: String,
    /// SKU.
    pub sku: String,
    /// First product image.
    pub image_url: Option<String>,
    /// Quantity in the cart.
    pub quantity: u32,
    /// Unit price now, from the catalog; none when the variant no longer exists.
    pub unit_price_minor: Option<i64>,
    /// Unit price when the line was added (or its quantity last set).
    pub added_price_minor: Option<i64>,
    /// The price changed since then.
    pub price_changed: bool,
    /// Still on sale and in stock.
    pub available: bool,
    /// Units in stock now.
    pub stock: i32,
    /// Fewer in stock than in the cart.
    pub stock_short: bool,
    /// Quantity × unit price, for available lines (0 otherwise).
    pub line_total_minor: i64,
    /// ISO currency.
    pub currency: String,
}

/// A cart priced at read time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CartView {
    /// How the cart is kept.
    pub mode: Mode,
    /// Seconds until the cart expires without activity (0: no such cart yet).
    pub ttl_seconds: u64,
    /// The shop's currency.
    pub currency: String,
    /// Items (sum of quantities).
    pub item_count: u64,
    /// Total of the available lines.
    pub subtotal_minor: i64,
    /// Lines, by product title.
    pub lines: Vec<LineView>,
    /// A checkout draft is kept with the cart.
    pub has_prefill: bool,
    /// Some line changed price, went out of stock or is short.
    pub needs_attention: bool,
}

/// The mini-cart.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Items (sum of quantities).
    pub item_count: u64,
    /// Seconds until expiry (0: no such cart).
    pub ttl_seconds: u64,
}

/// Add a variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddLine {
    /// Variant id.
    pub variant_id: String,
    /// Quantity to add (1..=999).
    pub quantity: i64,
}

/// Set a line's quantity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetQuantity {
    /// New quantity (1..=999).
    pub quantity: i64,
}

/// A line after a change.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct LineChanged {
    /// The line's quantity now.
    pub quantity: u32,
    /// Seconds until the cart expires.
    pub ttl_seconds: u64,
}

/// Query parameter of every call: how the caller keeps the cart.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ModeQuery {
    /// Cookie (default) or visit.
    #[serde(default)]
    pub mode: Mode,
}
