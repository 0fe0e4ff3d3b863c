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
    let mut tx = state.db.begin(staff.tenant).await?;
    audit::record(
        state,
        &mut tx,
        staff,
        Entry {
            action,
            objects: vec![format!("order:{order}")],
            classes: Vec::new(),
            purpose: "order handling",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn client(state: &AppState) -> Result<&OrdersClient, ApiError> {
    state.orders.as_ref().ok_or(ApiError::OrdersAway(None))
}

fn failed(e: OrdersCallError) -> ApiError {
    match e {
        OrdersCallError::Refused { code, message, .. } => ApiError::OrdersRefused(code, message),
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
