//! Fulfilment: shipping a paid order (booked with the carrier, or with the carrier and
//! tracking number staff typed) and marking it delivered. The carrier receives the
//! delivery fields and nothing else (O6); the buyer is told by a shipping notice.

use std::sync::Arc;

use platform_carrier_api::{NewShipment, Recipient};
use platform_domain::{OrderId, OrderStatus, StaffId};
use platform_orders_api::{Address, Contact, ErrorCode, OrderSummary, ShipOrder};
use platform_tenancy::TenantId;
use serde_json::json;

use super::{Orders, Result, SHIPPING_FIELD};
use crate::carrier::CarrierAdapter;
use crate::db;
use crate::error::OrdersError;

/// A carrier name or tracking number as typed: trimmed, 1–60 plain characters.
fn typed(text: &str, tracking: bool) -> Option<String> {
    let t = text.trim();
    let plain = if tracking {
        t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" _./-".contains(&b))
    } else {
        !t.chars().any(char::is_control)
    };
    ((1..=60).contains(&t.chars().count()) && plain).then(|| t.to_owned())
}

/// The fixed delivery shape from the order's address (and phone, only when the carrier
/// needs it).
pub fn recipient(address: &Address, contact: &Contact, with_phone: bool) -> Recipient {
    Recipient {
        name: address.name.clone(),
        address_line1: address.line1.clone(),
        address_line2: address.line2.clone(),
        postal_code: address.postal_code.clone(),
        city: address.city.clone(),
        region: address.region.clone(),
        country: address.country.clone(),
        phone: (with_phone && !contact.phone.is_empty()).then(|| contact.phone.clone()),
    }
}

impl Orders {
    /// The same use cases, booking shipments with `carrier`.
    pub fn with_carrier(mut self, carrier: Arc<dyn CarrierAdapter>) -> Self {
        self.carrier = Some(carrier);
        self
    }

    /// Ships a paid order on behalf of `ship.staff_id`. Shipping a shipped order again
    /// changes nothing (and books nothing). The order stays locked while the carrier is
    /// asked, so two clicks book one shipment.
    pub async fn ship(
        &self,
        tenant: TenantId,
        id: OrderId,
        ship: ShipOrder,
    ) -> Result<OrderSummary> {
        let typed_pair = match (ship.carrier.as_deref(), ship.tracking_number.as_deref()) {
            (None | Some(""), None | Some("")) => None,
            (Some(c), Some(t)) => match (typed(c, false), typed(t, true)) {
                (Some(c), Some(t)) => Some((c, t)),
                _ => return Err(tracking_invalid()),
            },
            _ => return Err(tracking_invalid()),
        };
        let mut tx = self.db.begin(tenant).await?;
        match db::orders::status_for_update(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?
        {
            OrderStatus::Shipped | OrderStatus::Delivered => {
                tx.commit().await?;
                return self.summary(tenant, id).await;
            }
            OrderStatus::Paid => {}
            other => return Err(not_shippable(other)),
        }
        let (carrier, tracking, url, shipment_id) = match typed_pair {
            Some((c, t)) => (c, t, None, None),
            None => {
                let adapter = self.carrier.clone().ok_or(OrdersError::CarrierOff)?;
                let row = db::orders::find(&mut tx, id)
                    .await?
                    .ok_or(OrdersError::NotFound)?;
                let address: Option<Address> = match &row.shipping_sealed {
                    Some(bytes) => self.open(&mut tx, SHIPPING_FIELD, bytes).await?,
                    None => None,
                };
                let Some(address) = address else {
                    return Err(OrdersError::refused(
                        ErrorCode::NotShippable,
                        "This order has no delivery address: type the carrier and tracking number.",
                    ));
                };
                let contact: Contact = self
                    .open_contact(&mut tx, row.contact_sealed.as_deref())
                    .await?;
                let new = NewShipment {
                    reference: row.reference.clone(),
                    recipient: recipient(&address, &contact, adapter.requires_phone()),
                };
                let booked = adapter.book(&new).await?;
                (
                    booked.carrier,
                    booked.tracking_number,
                    Some(booked.tracking_url),
                    Some(booked.id),
                )
            }
        };
        db::orders::set_shipped(
            &mut tx,
            id,
            &carrier,
            &tracking,
            url.as_deref().filter(|u| u.starts_with("https://")),
            shipment_id.as_deref(),
        )
        .await?;
        db::orders::add_event(
            &mut tx,
            id,
            "shipped",
            &format!("staff:{}", ship.staff_id),
            json!({ "carrier": carrier, "tracking_number": tracking }),
        )
        .await?;
        db::orders::enqueue(&mut tx, id, "shipping_notice").await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, order_id = %id, "order shipped");
        self.summary(tenant, id).await
    }

    /// Marks a shipped order delivered; again changes nothing.
    pub async fn deliver(
        &self,
        tenant: TenantId,
        id: OrderId,
        staff: StaffId,
    ) -> Result<OrderSummary> {
        let mut tx = self.db.begin(tenant).await?;
        match db::orders::status_for_update(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?
        {
            OrderStatus::Delivered => {}
            OrderStatus::Shipped => {
                db::orders::set_delivered(&mut tx, id).await?;
                db::orders::add_event(
                    &mut tx,
                    id,
                    "delivered",
                    &format!("staff:{staff}"),
                    json!({}),
                )
                .await?;
            }
            other => return Err(not_shippable(other)),
        }
        tx.commit().await?;
        self.summary(tenant, id).await
    }
}

fn tracking_invalid() -> OrdersError {
    OrdersError::refused(
        ErrorCode::TrackingInvalid,
        "Give the carrier and the tracking number (letters, digits, spaces, . _ / -), or neither to book with the platform's carrier.",
    )
}

fn not_shippable(status: OrderStatus) -> OrdersError {
    OrdersError::refused(
        ErrorCode::NotShippable,
        format!(
            "This order is {status}; only paid orders ship and only shipped ones are delivered."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o6_the_carrier_gets_the_delivery_fields_and_a_phone_only_when_it_needs_one() {
        let address = Address {
            name: "Ada".into(),
            line1: "Hauptstraße 1".into(),
            line2: String::new(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            region: String::new(),
            country: "DE".into(),
        };
        let contact = Contact {
            name: "Ada".into(),
            email: "ada@example.org".into(),
            phone: "+49 30 1".into(),
        };
        let keys = |with_phone| {
            let v =
                serde_json::to_value(recipient(&address, &contact, with_phone)).unwrap_or_default();
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        let base = [
            "address_line1",
            "address_line2",
            "city",
            "country",
            "name",
            "postal_code",
            "region",
        ];
        assert_eq!(keys(false), base);
        let mut with = base.to_vec();
        with.push("phone");
        with.sort_unstable();
        assert_eq!(keys(true), with);
    }
}
