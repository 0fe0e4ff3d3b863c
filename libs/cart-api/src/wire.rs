//! The wire types of the cart API (JSON).

use platform_domain::{Currency, Money, VariantId};
use serde::{Deserialize, Serialize};

/// How the visitor keeps the cart: a cookie (kept across visits, the shop's TTL) or a
/// token in the URL (this visit only, a short TTL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `cart` cookie.
    #[default]
    Cookie,
    /// Token in the URL path and forms.
    Visit,
}

impl Mode {
    /// The query-string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Cookie => "cookie",
            Mode::Visit => "visit",
        }
    }
}

/// The checkout draft a visitor may keep with the cart (O4): contact and shipping
/// details. The cart checks it and seals it under the shop's key before it reaches Redis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefill {
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
    /// Street and number.
    #[serde(default)]
    pub address_line1: String,
    /// Apartment, suite…
    #[serde(default)]
    pub address_line2: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: String,
    /// The buyer's age band, in shops that sell to minors (`13_plus`, `under_13`).
    #[serde(default)]
    pub age_band: String,
    /// Under 13: the handle of the guardian's consent (kept only once it is given).
    #[serde(default)]
    pub guardian: String,
}

impl Prefill {
    /// True when every field is blank.
    pub fn is_empty(&self) -> bool {
        *self == Prefill::default()
    }
}

/// One priced line of a cart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LineView {
    /// Variant id.
    pub variant_id: VariantId,
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
    /// The shop's currency.
    pub currency: Currency,
}

impl LineView {
    /// The unit price now.
    pub fn unit_price(&self) -> Option<Money> {
        self.unit_price_minor.map(|m| Money::new(m, self.currency))
    }

    /// The unit price when the line was added.
    pub fn added_price(&self) -> Option<Money> {
        self.added_price_minor.map(|m| Money::new(m, self.currency))
    }

    /// Quantity × unit price.
    pub fn line_total(&self) -> Money {
        Money::new(self.line_total_minor, self.currency)
    }
}

/// A cart priced at read time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CartView {
    /// How the cart is kept.
    pub mode: Mode,
    /// Seconds until the cart expires without activity (0: no such cart yet).
    pub ttl_seconds: u64,
    /// The shop's currency.
    pub currency: Currency,
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

impl CartView {
    /// Total of the available lines.
    pub fn subtotal(&self) -> Money {
        Money::new(self.subtotal_minor, self.currency)
    }
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
    /// Variant id. Text on the wire so that the cart answers a malformed one with its own
    /// `cart.malformed_id`; the [`crate::CartClient`] only sends a parsed [`VariantId`].
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
