//! The shop's orders, as the orders service keeps them: the list (no personal data) and
//! one order with the buyer's details, so the merchant can fulfil it and reach the buyer
//! when it has trouble (O1). The console never reads order tables itself: its database
//! role has no grant on them.

use platform_domain::{Invalid, OrderId};
use platform_orders_api::{OrderDetail, OrderList, OrderListQuery, OrdersCallError, OrdersClient};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::error::ApiError;

fn client(state: &AppState) -> Result<&OrdersClient, ApiError> {
    state.orders.as_ref().ok_or(ApiError::OrdersAway(None))
}

fn failed(e: OrdersCallError) -> ApiError {
    match e {
        OrdersCallError::Refused { code, message, .. } => ApiError::OrdersRefused(code, message),
        away => ApiError::OrdersAway(Some(away)),
    }
}

/// A page of the shop's orders, newest first.
pub async fn list(
    state: &AppState,
    tenant: TenantId,
    query: &OrderListQuery,
) -> Result<OrderList, ApiError> {
    client(state)?.list(tenant, query).await.map_err(failed)
}

/// Cancels an unpaid order as `staff`.
pub async fn cancel(
    state: &AppState,
    tenant: TenantId,
    order: OrderId,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
    client(state)?
        .cancel(tenant, order, staff)
        .await
        .map(drop)
        .map_err(failed)
}

/// One order with the buyer's details.
pub async fn detail(
    state: &AppState,
    tenant: TenantId,
    order: OrderId,
) -> Result<OrderDetail, ApiError> {
    client(state)?.detail(tenant, order).await.map_err(failed)
}

/// Refunds `amount` (in the shop's currency, as typed: "12.50") of a paid order through
/// the payment processor, as `staff`.
pub async fn refund(
    state: &AppState,
    tenant: TenantId,
    order: OrderId,
    amount: &str,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
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
                staff_id: staff,
                amount_minor,
            },
        )
        .await
        .map(drop)
        .map_err(failed)
}

/// The shop's keys for signing its requests to the payment processor (O12).
pub async fn signing_keys(
    state: &AppState,
    tenant: TenantId,
) -> Result<platform_orders_api::SigningKeys, ApiError> {
    client(state)?.signing_keys(tenant).await.map_err(failed)
}

/// Makes a new signing key; the current one stays accepted for the overlap.
pub async fn rotate_key(
    state: &AppState,
    tenant: TenantId,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
    client(state)?
        .rotate_key(tenant, &platform_orders_api::KeyAction { staff_id: staff })
        .await
        .map(drop)
        .map_err(failed)
}

/// Revokes a signing key: the processor refuses it from the answer on.
pub async fn revoke_key(
    state: &AppState,
    tenant: TenantId,
    key_id: &str,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
    client(state)?
        .revoke_key(
            tenant,
            key_id,
            &platform_orders_api::KeyAction { staff_id: staff },
        )
        .await
        .map(drop)
        .map_err(failed)
}

/// Marks a paid order shipped as `staff`: with the carrier and tracking number typed, or
/// (both empty) booked with the platform's carrier, which receives the delivery address
/// only (O6).
pub async fn ship(
    state: &AppState,
    tenant: TenantId,
    order: OrderId,
    carrier: &str,
    tracking_number: &str,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
    let some = |t: &str| (!t.trim().is_empty()).then(|| t.trim().to_owned());
    client(state)?
        .ship(
            tenant,
            order,
            &platform_orders_api::ShipOrder {
                staff_id: staff,
                carrier: some(carrier),
                tracking_number: some(tracking_number),
            },
        )
        .await
        .map(drop)
        .map_err(failed)
}

/// Marks a shipped order delivered as `staff`.
pub async fn deliver(
    state: &AppState,
    tenant: TenantId,
    order: OrderId,
    staff: platform_domain::StaffId,
) -> Result<(), ApiError> {
    client(state)?
        .deliver(tenant, order, staff)
        .await
        .map(drop)
        .map_err(failed)
}
