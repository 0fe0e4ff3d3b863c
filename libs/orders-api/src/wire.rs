//! The wire types of the orders API (JSON). Amounts are integer minor units of the
//! shop's currency; every amount is computed by the orders service from Postgres.
//!
//! Types holding personal data ([`Contact`], [`Address`]) print as `..` in `Debug`, so
//! a stray `{:?}` cannot put them in a log.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use platform_domain::{
    CheckoutFields, Currency, Money, OrderId, OrderStatus, ShippingRateId, VariantId,
};
use serde::{Deserialize, Serialize};

/// One line the buyer wants: a variant and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// The variant.
    pub variant_id: VariantId,
    /// How many (1..=999).
    pub quantity: u32,
}

/// How to reach the buyer (O1). Fields the shop does not ask for stay empty; one sent
/// anyway is refused (O2).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Full name.
    #[serde(default)]
    pub name: String,
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Contact { .. }")
    }
}

/// Where the goods go.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The recipient's name.
    #[serde(default)]
    pub name: String,
    /// Street and number.
    #[serde(default)]
    pub line1: String,
    /// Apartment, suite…
    #[serde(default)]
    pub line2: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Region, state or province, where the country uses one.
    #[serde(default)]
    pub region: String,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default)]
    pub country: String,
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Address { .. }")
    }
}

/// Price a prospective order now: for the checkout's shipping step and review page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// What the buyer wants.
    pub lines: Vec<LineRequest>,
    /// The destination country, once known.
    #[serde(default)]
    pub country: Option<String>,
    /// The chosen shipping rate; none preselects the shop's first rate for the country.
    #[serde(default)]
    pub shipping_rate_id: Option<ShippingRateId>,
}

/// A shipping rate the buyer may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOption {
    /// Its id.
    pub id: ShippingRateId,
    /// Its name ("Standard", "Express").
    pub name: String,
    /// Its flat price.
    pub price_minor: i64,
}

/// One line priced now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedLine {
    /// The variant.
    pub variant_id: VariantId,
    /// Its SKU (empty when it no longer exists).
    pub sku: String,
    /// Product title.
    pub product_title: String,
    /// Variant title.
    pub variant_title: String,
    /// Quantity asked.
    pub quantity: u32,
    /// Unit price now (0 when unavailable).
    pub unit_price_minor: i64,
    /// Quantity × unit price (0 when unavailable).
    pub line_total_minor: i64,
    /// Units in stock now.
    pub in_stock: i32,
    /// On sale and enough in stock.
    pub available: bool,
}

/// A prospective order priced now, from Postgres.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The shop's currency.
    pub currency: Currency,
    /// Lines, in the order asked.
    pub lines: Vec<QuotedLine>,
    /// What the shop asks for at checkout (O2).
    pub fields: CheckoutFields,
    /// Countries the shop ships to.
    pub countries: Vec<String>,
    /// Rates for the chosen country (none before one is chosen).
    pub shipping_options: Vec<ShippingOption>,
    /// The chosen rate, when it ships to the chosen country.
    pub shipping: Option<ShippingOption>,
    /// Sum of the available lines.
    pub subtotal_minor: i64,
    /// The chosen rate's price (0 when none).
    pub shipping_minor: i64,
    /// Tax rate for the country in basis points (1900 = 19 %).
    pub tax_rate_bp: i32,
    /// Prices include the tax (else it is added).
    pub tax_inclusive: bool,
    /// The tax in the total.
    pub tax_minor: i64,
    /// What the buyer pays.
    pub total_minor: i64,
    /// Every line is available and, when the shop ships, a rate is chosen: the order can
    /// be placed at `total_minor`.
    pub ready: bool,
}

impl Quote {
    /// An amount of this quote as money.
    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }
}

/// Place an order. Send with an `Idempotency-Key` header; repeat with the same key and
/// body as often as needed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrder {
    /// What the buyer buys.
    pub lines: Vec<LineRequest>,
    /// How to reach the buyer.
    #[serde(default)]
    pub contact: Contact,
    /// Where the goods go (none when the shop does not ask for an address).
    #[serde(default)]
    pub shipping: Option<Address>,
    /// The chosen shipping rate (needed when an address is asked).
    #[serde(default)]
    pub shipping_rate_id: Option<ShippingRateId>,
    /// The total the buyer reviewed; any other total now is refused with
    /// `orders.totals_changed`, never silently charged.
    pub expected_total_minor: i64,
    /// The buyer's address, as the storefront saw it: recorded on the order only (O5).
    pub buyer_ip: IpAddr,
    /// The marketing box, when the buyer ticked it: a subscription is asked for and
    /// confirmed by an emailed link before any promotion (O17).
    #[serde(default)]
    pub marketing: Option<crate::MarketingOptIn>,
    /// The buyer's age band: required by shops that sell to minors, refused by others.
    #[serde(default)]
    pub age_band: Option<platform_domain::AgeBand>,
    /// Under 13: the handle of the guardian's consent (O19).
    #[serde(default)]
    pub guardian: Option<String>,
}

/// An order just placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// Its id.
    pub order_id: OrderId,
    /// Its number as the shop shows it (`"A-1001"`).
    pub reference: String,
    /// Opens the buyer's status page.
    pub public_code: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The shop's currency.
    pub currency: Currency,
    /// What the buyer pays.
    pub total_minor: i64,
    /// Unpaid by then, the order is cancelled and its stock returned.
    pub hold_until: DateTime<Utc>,
}

/// A line of a placed order, priced as it was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The variant (it may no longer exist).
    pub variant_id: VariantId,
    /// Its SKU then.
    pub sku: String,
    /// Product title then.
    pub product_title: String,
    /// Variant title then.
    pub variant_title: String,
    /// Quantity.
    pub quantity: u32,
    /// Unit price then.
    pub unit_price_minor: i64,
    /// Quantity × unit price.
    pub line_total_minor: i64,
}

/// What the buyer sees on the order's status page: no more than they gave, and none of
/// their personal data (the page opens with the order's code alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerOrder {
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The shop's currency.
    pub currency: Currency,
    /// Lines as placed.
    pub lines: Vec<OrderLine>,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Tax in the total.
    pub tax_minor: i64,
    /// Prices include the tax.
    pub tax_inclusive: bool,
    /// Total.
    pub total_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// The shipping rate chosen.
    pub shipping_rate_name: Option<String>,
    /// Unpaid by then, the order is cancelled.
    pub hold_until: DateTime<Utc>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// Its payment, once one was started.
    pub payment: Option<PaymentView>,
    /// How it travels, once shipped.
    pub shipment: Option<ShipmentView>,
}

/// An order in the merchant's list. Holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// Its id.
    pub id: OrderId,
    /// Its number.
    pub number: i64,
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The shop's currency.
    pub currency: Currency,
    /// Total.
    pub total_minor: i64,
    /// Items (sum of quantities).
    pub item_count: i64,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

/// Which orders to list: newest first, optionally one status or one number.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderListQuery {
    /// Only orders in this status.
    #[serde(default)]
    pub status: Option<OrderStatus>,
    /// Only the order with this number (with or without the shop's prefix).
    #[serde(default)]
    pub number: Option<String>,
    /// Orders numbered below this one (the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many (1..=200, default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderList {
    /// Newest first.
    pub orders: Vec<OrderSummary>,
    /// Pass as `before` for the next page; none on the last page.
    pub next_before: Option<i64>,
}

/// A change in an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// What happened (`"placed"`, `"payment_captured"`, …).
    pub kind: String,
    /// Who did it (`"buyer"`, `"processor"`, `"system"`, `"staff:<id>"`).
    pub actor: String,
    /// Details (never personal data).
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// Cancel an order, on behalf of a member of the shop's staff.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrder {
    /// Who cancels (recorded on the order's history).
    pub staff_id: platform_domain::StaffId,
}

/// An order as the merchant sees it, with the buyer's details opened (O1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// The order.
    pub summary: OrderSummary,
    /// Lines as placed.
    pub lines: Vec<OrderLine>,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Tax in the total.
    pub tax_minor: i64,
    /// Tax rate in basis points.
    pub tax_rate_bp: i32,
    /// Prices include the tax.
    pub tax_inclusive: bool,
    /// Refunded so far.
    pub refunded_minor: i64,
    /// The shipping rate chosen.
    pub shipping_rate_name: Option<String>,
    /// How to reach the buyer.
    pub contact: Contact,
    /// Where the goods go.
    pub shipping: Option<Address>,
    /// The buyer's address when placing the order (O5); none once erased.
    pub buyer_ip: Option<IpAddr>,
    /// When the buyer's details were erased (O14): the order stays for the accounts.
    #[serde(default)]
    pub erased_at: Option<DateTime<Utc>>,
    /// Unpaid by then, the order is cancelled.
    pub hold_until: DateTime<Utc>,
    /// Its payment, once one was started.
    pub payment: Option<PaymentView>,
    /// How it travels, once shipped.
    pub shipment: Option<ShipmentView>,
    /// Its history, oldest first.
    pub events: Vec<OrderEvent>,
}

/// An order's payment as the platform keeps it (O3): never more of the card than its
/// brand, last four digits and expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// `pending`, `captured` or `expired`.
    pub status: String,
    /// The card's brand, once captured.
    pub card_brand: Option<String>,
    /// The card's last four digits, once captured.
    pub card_last4: Option<String>,
    /// The card's expiry month.
    pub card_exp_month: Option<i16>,
    /// The card's expiry year.
    pub card_exp_year: Option<i16>,
    /// Why the last attempt failed (`card_declined`, `insufficient_funds`).
    pub last_failure: Option<String>,
    /// When the money was taken.
    pub captured_at: Option<DateTime<Utc>>,
}

/// How an order travels (none of it personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentView {
    /// The carrier's name.
    pub carrier: String,
    /// The tracking number.
    pub tracking_number: String,
    /// Where to follow it, when the carrier gave an address.
    pub tracking_url: Option<String>,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// When it arrived.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Mark a paid order shipped, on behalf of a member of staff: with the carrier and
/// tracking number typed, or, with neither, booked with the platform's carrier.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipOrder {
    /// Who ships.
    pub staff_id: platform_domain::StaffId,
    /// The carrier, when shipped by other means.
    #[serde(default)]
    pub carrier: Option<String>,
    /// Its tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
}

/// Start paying an order: where the processor's page sends the buyer back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartPayment {
    /// An https address on the shop's own host.
    pub return_url: String,
}

/// Where to send the buyer to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStart {
    /// The processor's hosted payment page.
    pub pay_url: String,
}

/// Refund part or all of a paid order, on behalf of a member of the shop's staff.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundOrder {
    /// Who refunds.
    pub staff_id: platform_domain::StaffId,
    /// How much, in minor units (at most what is left to refund).
    pub amount_minor: i64,
}

/// A key action (rotate, revoke) on behalf of a member of the shop's staff.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAction {
    /// Who acts.
    pub staff_id: platform_domain::StaffId,
}

/// One of the shop's signing keys for the payment processor (O12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    /// Its id, as signatures name it.
    pub key_id: String,
    /// `signing`, `retiring` (still accepted until `retire_at`), `retired` or `revoked`.
    pub state: String,
    /// The Ed25519 public key, base64url.
    pub public_key: String,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// When the processor last confirmed this key's state.
    pub published_at: Option<DateTime<Utc>>,
    /// A retiring key is accepted until then.
    pub retire_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The shop's signing keys, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    /// The keys.
    pub keys: Vec<SigningKey>,
    /// How long a rotated-out key stays accepted, seconds.
    pub overlap_secs: u64,
}
