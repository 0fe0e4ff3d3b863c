//! The shop's orders, as the orders service keeps them: the list and one order with the
//! buyer's details, so the merchant can fulfil it and reach the buyer when it has trouble
//! (O1). The console never reads order tables itself: its database role has no grant on
//! them. Everything read leaves here as a view masked to the viewer's roles (O8) and
//! only after the read was written to the audit log (O22); every change is logged too.

use platform_domain::{Invalid, OrderId, Permission};
use platform_orders_api::{OrderListQuery, OrdersCallError, OrdersClient};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::order_view::{OrderListView, OrderView};
use crate::app::staff::Staff;
use crate::error::ApiError;

/// Refuses unless `staff` holds a role with `permission` (the handlers' extractors say
/// the same; this keeps the use case safe whatever adapter calls it).
pub fn require(staff: &Staff, permission: Permission) -> Result<(), ApiError> {
    if staff.roles.may(permission) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Logs a change to an order by `staff`.
async fn changed(
    state: &AppState,
    staff: &Staff,
    action: &str,
    order: OrderId,
) -> Result<(), ApiError> {
    audit::record_read(
        state,
        staff,
        Entry {
            action,
            objects: vec![format!("order:{order}")],
            classes: Vec::new(),
            purpose: "order handling",
        },
    )
    .await
}

pub(crate) fn client(state: &AppState) -> Result<&OrdersClient, ApiError> {
    state.orders.as_ref().ok_or(ApiError::OrdersAway(None))
}

pub(crate) fn failed(e: OrdersCallError) -> ApiError {
    match e {
        OrdersCallError::Refused {
            code,
            message,
            field,
            ..
        } => ApiError::OrdersRefused {
            code,
            message,
            field,
        },
        away => ApiError::OrdersAway(Some(away)),
    }
}

/// A page of the shop's orders, newest first, as `staff` may see it.
pub async fn list(
    state: &AppState,
    staff: &Staff,
    query: &OrderListQuery,
) -> Result<OrderListView, ApiError> {
    require(staff, Permission::ViewOrders)?;
    let list = client(state)?
        .list(staff.tenant, query)
        .await
        .map_err(failed)?;
    let view = OrderListView::for_viewer(list, staff.roles.clearance());
    if !view.revealed.is_empty() {
        audit::record_read(
            state,
            staff,
            Entry {
                action: "order.list",
                objects: view
                    .orders
                    .iter()
                    .map(|o| format!("order:{}", o.id))
                    .collect(),
                classes: view.revealed.clone(),
                purpose: "order handling",
            },
        )
        .await?;
    }
    Ok(view)
}

/// Cancels an unpaid order as `staff`.
pub async fn cancel(state: &AppState, staff: &Staff, order: OrderId) -> Result<(), ApiError> {
    require(staff, Permission::CancelOrder)?;
    client(state)?
        .cancel(staff.tenant, order, staff.staff_id)
        .await
        .map_err(failed)?;
    changed(state, staff, "order.cancel", order).await
}

/// One order as `staff` may see it, logged before it is shown.
pub async fn detail(
    state: &AppState,
    staff: &Staff,
    order: OrderId,
) -> Result<OrderView, ApiError> {
    require(staff, Permission::ViewOrders)?;
    let detail = client(state)?
        .detail(staff.tenant, order)
        .await
        .map_err(failed)?;
    let view = OrderView::for_viewer(detail, staff.roles.clearance());
    audit::record_read(
        state,
        staff,
        Entry {
            action: "order.view",
            objects: vec![format!("order:{order}")],
            classes: view.revealed.clone(),
            purpose: "order handling",
        },
    )
    .await?;
    Ok(view)
}

/// Refunds `amount` (in the shop's currency, as typed: "12.50") of a paid order through
/// the payment processor, as `staff`.
pub async fn refund(
    state: &AppState,
    staff: &Staff,
    order: OrderId,
    amount: &str,
) -> Result<(), ApiError> {
    require(staff, Permission::Refund)?;
    let tenant = staff.tenant;
    let currency = crate::app::products::currency(state, tenant).await?;
    let amount_minor = platform_domain::Money::parse(amount, currency)
        .map(|m| m.minor)
        .map_err(|_| {
            Invalid::new(
                "refund.amount_invalid",
                format!(
                    "Please enter the amount to refund as a number, such as {}.",
                    platform_domain::Money::new(1250, currency).amount_text()
                ),
            )
        })?;
    client(state)?
        .refund(
            tenant,
            order,
            &platform_orders_api::RefundOrder {
                staff_id: staff.staff_id,
                amount_minor,
            },
        )
        .await
        .map_err(failed)?;
    changed(state, staff, "order.refund", order).await
}

/// The shop's keys for signing its requests to the payment processor (O12).
pub async fn signing_keys(
    state: &AppState,
    tenant: TenantId,
) -> Result<platform_orders_api::SigningKeys, ApiError> {
    client(state)?.signing_keys(tenant).await.map_err(failed)
}

/// Makes a new signing key; the current one stays accepted for the overlap.
pub async fn rotate_key(state: &AppState, staff: &Staff) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    client(state)?
        .rotate_key(
            staff.tenant,
            &platform_orders_api::KeyAction {
                staff_id: staff.staff_id,
            },
        )
        .await
        .map_err(failed)?;
    key_changed(state, staff, "key.rotate", None).await
}

/// Revokes a signing key: the processor refuses it from the answer on.
pub async fn revoke_key(state: &AppState, staff: &Staff, key_id: &str) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    crate::app::staff::require_fresh(state, staff)?;
    client(state)?
        .revoke_key(
            staff.tenant,
            key_id,
            &platform_orders_api::KeyAction {
                staff_id: staff.staff_id,
            },
        )
        .await
        .map_err(failed)?;
    key_changed(state, staff, "key.revoke", Some(key_id)).await
}

async fn key_changed(
    state: &AppState,
    staff: &Staff,
    action: &str,
    key_id: Option<&str>,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin(staff.tenant).await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action,
            objects: key_id
                .map(|k| format!("signing_key:{k}"))
                .into_iter()
                .collect(),
            classes: Vec::new(),
            purpose: "payment security",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a paid order shipped as `staff`: with the carrier and tracking number typed, or
/// (both empty) booked with the platform's carrier, which receives the delivery address
/// only (O6).
pub async fn ship(
    state: &AppState,
    staff: &Staff,
    order: OrderId,
    carrier: &str,
    tracking_number: &str,
) -> Result<(), ApiError> {
    require(staff, Permission::Ship)?;
    let some = |t: &str| (!t.trim().is_empty()).then(|| t.trim().to_owned());
    client(state)?
        .ship(
            staff.tenant,
            order,
            &platform_orders_api::ShipOrder {
                staff_id: staff.staff_id,
                carrier: some(carrier),
                tracking_number: some(tracking_number),
            },
        )
        .await
        .map_err(failed)?;
    changed(state, staff, "order.ship", order).await
}

/// Marks a shipped order delivered as `staff`.
pub async fn deliver(state: &AppState, staff: &Staff, order: OrderId) -> Result<(), ApiError> {
    require(staff, Permission::Ship)?;
    client(state)?
        .deliver(staff.tenant, order, staff.staff_id)
        .await
        .map_err(failed)?;
    changed(state, staff, "order.deliver", order).await
}

/// Most orders one export holds (newest first); a larger shop filters by status.
pub const EXPORT_LIMIT: usize = 2000;

/// The shop's orders (newest first, at most [`EXPORT_LIMIT`], optionally one status), each
/// as `staff` may see it, for a CSV or JSON file. Needs a fresh login; logged as one
/// event naming every order and the classes shown.
pub async fn export(
    state: &AppState,
    staff: &Staff,
    status: Option<platform_domain::OrderStatus>,
) -> Result<Vec<OrderView>, ApiError> {
    require(staff, Permission::ViewOrders)?;
    crate::app::staff::require_fresh(state, staff)?;
    let orders = client(state)?;
    let mut ids = Vec::new();
    let mut before = None;
    while ids.len() < EXPORT_LIMIT {
        let page = orders
            .list(
                staff.tenant,
                &OrderListQuery {
                    status,
                    number: None,
                    before,
                    limit: Some(200),
                },
            )
            .await
            .map_err(failed)?;
        ids.extend(page.orders.iter().map(|o| o.id));
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    ids.truncate(EXPORT_LIMIT);
    let clearance = staff.roles.clearance();
    let mut views = Vec::with_capacity(ids.len());
    for id in &ids {
        let detail = orders.detail(staff.tenant, *id).await.map_err(failed)?;
        views.push(OrderView::for_viewer(detail, clearance));
    }
    let mut classes: Vec<platform_domain::DataClass> = Vec::new();
    for c in views.iter().flat_map(|v| v.revealed.iter()) {
        if !classes.contains(c) {
            classes.push(*c);
        }
    }
    audit::record_read(
        state,
        staff,
        Entry {
            action: "order.export",
            objects: ids.iter().map(|id| format!("order:{id}")).collect(),
            classes,
            purpose: "order handling",
        },
    )
    .await?;
    Ok(views)
}

/// The export as CSV, one order per line; masked cells read `••••`.
pub fn export_csv(views: &[OrderView]) -> Result<Vec<u8>, ApiError> {
    use platform_domain::{MASK, Money, Shown};
    let cell = |s: &Shown<String>| s.clear().cloned().unwrap_or_else(|| MASK.to_owned());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "order", "placed", "status", "currency", "total", "refunded", "name", "email", "phone",
        "ship_to", "country", "buyer_ip", "card",
    ])?;
    for v in views {
        let money = |minor: i64| Money::new(minor, v.currency).amount_text();
        let (total, refunded) = match &v.totals {
            Shown::Clear(t) => (money(t.total_minor), money(t.refunded_minor)),
            Shown::Masked => (MASK.to_owned(), MASK.to_owned()),
        };
        let (ship_to, country) = match &v.shipping {
            Shown::Clear(Some(a)) => (
                [
                    a.name.as_str(),
                    &a.line1,
                    &a.line2,
                    &a.postal_code,
                    &a.city,
                    &a.region,
                ]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
                a.country.clone(),
            ),
            Shown::Clear(None) => (String::new(), String::new()),
            Shown::Masked => (MASK.to_owned(), MASK.to_owned()),
        };
        let card = match &v.payment {
            Shown::Clear(Some(p)) => match (&p.card_brand, &p.card_last4) {
                (Some(b), Some(l)) => format!("{b} {l}"),
                _ => String::new(),
            },
            Shown::Clear(None) => String::new(),
            Shown::Masked => MASK.to_owned(),
        };
        w.write_record([
            v.reference.clone(),
            v.created_at.to_rfc3339(),
            v.status.as_str().to_owned(),
            v.currency.to_string(),
            total,
            refunded,
            cell(&v.contact.name),
            cell(&v.contact.email),
            cell(&v.contact.phone),
            ship_to,
            country,
            match v.buyer_ip.clear() {
                None => MASK.to_owned(),
                Some(ip) => ip.map(|ip| ip.to_string()).unwrap_or_default(),
            },
            card,
        ])?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Csv(csv::Error::from(e.into_error())))
}
