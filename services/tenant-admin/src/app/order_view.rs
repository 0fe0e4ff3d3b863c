//! Orders as one member of staff may see them (O8): the one place where the role matrix
//! is applied to order data. An [`OrderView`] is built from the orders service's answer
//! and the viewer's [`Clearance`]; every personal field becomes a [`Shown`] value, and a
//! masked value is dropped right here, so pages, the JSON API and exports cannot show
//! it by mistake: they only ever get a view.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use platform_domain::{Clearance, Currency, DataClass, OrderId, OrderStatus, Shown};
use platform_orders_api::{
    Address, OrderDetail, OrderEvent, OrderLine, OrderList, PaymentView, ShipmentView,
};
use serde::Serialize;
use utoipa::ToSchema;

/// An order in a list: no personal data but the total, which is billing data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderRow {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: OrderId,
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// Items (sum of quantities).
    pub item_count: i64,
    /// The shop's currency.
    #[schema(value_type = String)]
    pub currency: Currency,
    /// Total in minor units, or `"••••"`.
    #[schema(value_type = Object)]
    pub total_minor: Shown<i64>,
}

/// A page of orders for one viewer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderListView {
    /// Newest first.
    pub orders: Vec<OrderRow>,
    /// The next page's `before` (an order number), when there is one.
    pub next_before: Option<i64>,
    /// The classes of personal data this page shows.
    #[serde(skip)]
    pub revealed: Vec<DataClass>,
}

impl OrderListView {
    /// The page as `viewer` may see it.
    pub fn for_viewer(list: OrderList, viewer: Clearance) -> Self {
        let totals = viewer.sees(DataClass::Billing, "totals");
        let orders: Vec<OrderRow> = list
            .orders
            .into_iter()
            .map(|o| OrderRow {
                id: o.id,
                reference: o.reference,
                status: o.status,
                created_at: o.created_at,
                item_count: o.item_count,
                currency: o.currency,
                total_minor: Shown::new(totals, o.total_minor),
            })
            .collect();
        let revealed = if totals && !orders.is_empty() {
            vec![DataClass::Billing]
        } else {
            Vec::new()
        };
        OrderListView {
            orders,
            next_before: list.next_before,
            revealed,
        }
    }
}

/// How to reach the buyer, field by field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// Full name.
    #[schema(value_type = String)]
    pub name: Shown<String>,
    /// Email.
    #[schema(value_type = String)]
    pub email: Shown<String>,
    /// Phone.
    #[schema(value_type = String)]
    pub phone: Shown<String>,
}

/// The money of an order (billing data).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TotalsView {
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// The shipping rate chosen.
    pub shipping_rate_name: Option<String>,
    /// Tax in the total.
    pub tax_minor: i64,
    /// Tax rate in basis points.
    pub tax_rate_bp: i32,
    /// Prices include the tax.
    pub tax_inclusive: bool,
    /// Total.
    pub total_minor: i64,
    /// Refunded so far.
    pub refunded_minor: i64,
}

/// One step of an order's history for one viewer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// What happened (`placed`, `payment_captured`, …).
    pub kind: String,
    /// Who (`buyer`, `processor`, `system`, `staff:<id>`).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details (amounts, card brand and last 4), or `"••••"`.
    #[schema(value_type = Object)]
    pub detail: Shown<serde_json::Value>,
}

impl EventView {
    fn new(e: OrderEvent, billing: bool) -> Self {
        EventView {
            kind: e.kind,
            actor: e.actor,
            at: e.at,
            detail: Shown::new(billing, e.detail),
        }
    }
}

/// One order for one viewer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: OrderId,
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// The shop's currency.
    #[schema(value_type = String)]
    pub currency: Currency,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// Unpaid by then, it is cancelled.
    pub hold_until: DateTime<Utc>,
    /// Lines as placed (never personal data).
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<OrderLine>,
    /// The money, or `"••••"`.
    #[schema(value_type = Object)]
    pub totals: Shown<TotalsView>,
    /// The buyer's contact details.
    pub contact: ContactView,
    /// Where the goods go (`null`: not asked), or `"••••"`.
    #[schema(value_type = Object)]
    pub shipping: Shown<Option<Address>>,
    /// The buyer's IP address when ordering (O5; `null` once erased), or `"••••"`.
    #[schema(value_type = Option<String>)]
    pub buyer_ip: Shown<Option<IpAddr>>,
    /// When the buyer's details were erased at their request (O14): the order stays,
    /// pseudonymised, for the accounts.
    pub erased_at: Option<DateTime<Utc>>,
    /// The payment (card brand, last 4, expiry), or `"••••"`.
    #[schema(value_type = Object)]
    pub payment: Shown<Option<PaymentView>>,
    /// How it travels (never personal data).
    #[schema(value_type = Object)]
    pub shipment: Option<ShipmentView>,
    /// Its history: what happened, by whom, when; the details (amounts, card brand and
    /// last 4) are billing data, `"••••"` to other roles.
    pub events: Vec<EventView>,
    /// The classes of personal data this view shows (for the audit log).
    #[serde(skip)]
    pub revealed: Vec<DataClass>,
}

impl OrderView {
    /// The order as `viewer` may see it.
    pub fn for_viewer(o: OrderDetail, viewer: Clearance) -> Self {
        let sees = |class, field| viewer.sees(class, field);
        let contact = ContactView {
            name: Shown::new(sees(DataClass::Contact, "name"), o.contact.name),
            email: Shown::new(sees(DataClass::Contact, "email"), o.contact.email),
            phone: Shown::new(sees(DataClass::Contact, "phone"), o.contact.phone),
        };
        let billing = sees(DataClass::Billing, "payment");
        let view = OrderView {
            id: o.summary.id,
            reference: o.summary.reference,
            status: o.summary.status,
            currency: o.summary.currency,
            created_at: o.summary.created_at,
            hold_until: o.hold_until,
            lines: o.lines,
            totals: Shown::new(
                sees(DataClass::Billing, "totals"),
                TotalsView {
                    subtotal_minor: o.subtotal_minor,
                    shipping_minor: o.shipping_minor,
                    shipping_rate_name: o.shipping_rate_name,
                    tax_minor: o.tax_minor,
                    tax_rate_bp: o.tax_rate_bp,
                    tax_inclusive: o.tax_inclusive,
                    total_minor: o.summary.total_minor,
                    refunded_minor: o.refunded_minor,
                },
            ),
            contact,
            shipping: Shown::new(sees(DataClass::Shipping, "address"), o.shipping),
            buyer_ip: Shown::new(sees(DataClass::Network, "ip"), o.buyer_ip),
            erased_at: o.erased_at,
            payment: Shown::new(billing, o.payment),
            shipment: o.shipment,
            events: o
                .events
                .into_iter()
                .map(|e| EventView::new(e, billing))
                .collect(),
            revealed: Vec::new(),
        };
        let revealed = view.classes_shown();
        OrderView { revealed, ..view }
    }

    fn classes_shown(&self) -> Vec<DataClass> {
        let filled = |s: &Shown<String>| s.clear().is_some_and(|v| !v.is_empty());
        let mut out = Vec::new();
        let c = &self.contact;
        if filled(&c.name) || filled(&c.email) || filled(&c.phone) {
            out.push(DataClass::Contact);
        }
        if matches!(self.shipping, Shown::Clear(Some(_))) {
            out.push(DataClass::Shipping);
        }
        if !self.totals.is_masked() || matches!(self.payment, Shown::Clear(Some(_))) {
            out.push(DataClass::Billing);
        }
        if matches!(self.buyer_ip, Shown::Clear(Some(_))) {
            out.push(DataClass::Network);
        }
        out
    }

    /// Paid and not yet refunded in full (as far as this viewer can tell).
    pub fn refundable(&self) -> bool {
        matches!(
            self.status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        ) && self
            .totals
            .clear()
            .is_some_and(|t| t.refunded_minor < t.total_minor)
            && matches!(&self.payment, Shown::Clear(Some(p)) if p.status == "captured")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_domain::{RoleSet, StaffRole};

    fn order() -> OrderDetail {
        serde_json::from_value(serde_json::json!({
            "summary": {"id": OrderId::random(), "number": 1001, "reference": "#1001",
                "status": "paid", "currency": "EUR", "total_minor": 2500, "item_count": 1,
                "created_at": "2026-12-01T10:00:00Z"},
            "lines": [], "subtotal_minor": 2000, "shipping_minor": 500, "tax_minor": 0,
            "tax_rate_bp": 0, "tax_inclusive": true, "refunded_minor": 0,
            "shipping_rate_name": "Standard",
            "contact": {"name": "Ada Buyer", "email": "ada@example.com", "phone": "+3312345678"},
            "shipping": {"name": "Ada Buyer", "line1": "1 Rue X", "line2": "", "postal_code": "75001",
                "city": "Paris", "region": "", "country": "FR"},
            "buyer_ip": "203.0.113.9", "hold_until": "2026-12-01T11:00:00Z",
            "payment": {"status": "captured", "card_brand": "visa", "card_last4": "4242",
                "card_exp_month": 12, "card_exp_year": 2030, "last_failure": null,
                "captured_at": "2026-12-01T10:01:00Z"},
            "shipment": null, "events": []
        }))
        .unwrap()
    }

    fn json(role: StaffRole) -> String {
        let view = OrderView::for_viewer(order(), RoleSet::of(role).clearance());
        serde_json::to_string(&view).unwrap()
    }

    #[test]
    fn o8_masked_values_never_reach_the_serialised_view() {
        let fulfilment = json(StaffRole::Fulfilment);
        for hidden in [
            "ada@example.com",
            "+3312345678",
            "4242",
            "203.0.113",
            "2500",
        ] {
            assert!(!fulfilment.contains(hidden), "{hidden} in {fulfilment}");
        }
        assert!(fulfilment.contains("Ada Buyer") && fulfilment.contains("1 Rue X"));
        let catalog = json(StaffRole::CatalogManager);
        for hidden in ["Ada", "ada@", "Rue", "4242", "203.0", "2500"] {
            assert!(!catalog.contains(hidden), "{hidden} in {catalog}");
        }
        let owner = json(StaffRole::Owner);
        for shown in [
            "ada@example.com",
            "+3312345678",
            "4242",
            "203.0.113.9",
            "1 Rue X",
        ] {
            assert!(owner.contains(shown), "{shown} not in {owner}");
        }
    }
}
