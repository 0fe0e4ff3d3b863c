//! The shop's orders, as the orders service keeps them: the list (no personal data) and
//! one order with the buyer's details, so the merchant can fulfil it and reach the buyer
//! when it has trouble (O1). The console never reads order tables itself: its database
//! role has no grant on them.

use platform_domain::OrderId;
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
