//! Shops: the platform's `tenants` row of a shop.

use platform_domain::ShopStatus;
use platform_tenancy::{PlatformTx, TenantId, TenantTx};

use crate::error::{ApiError, on_constraint};

/// A shop as its console shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShopRow {
    /// Handle.
    pub handle: String,
    /// Name.
    pub display_name: String,
    /// Host names it is served at.
    pub host_names: Vec<String>,
}

/// Creates the shop's platform row (inside the new tenant's transaction, so the shop and
/// its first rows commit together).
pub async fn insert(
    tx: &mut TenantTx,
    handle: &str,
    display_name: &str,
    host_names: &[String],
) -> Result<(), ApiError> {
    sqlx::query(
        "insert into tenants (id, handle, display_name, host_names) values ($1, $2, $3, $4)",
    )
    .bind(tx.tenant())
    .bind(handle)
    .bind(display_name)
    .bind(host_names)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        on_constraint(
            e,
            &[
                (
                    "tenants_handle_key",
                    "signup.handle_taken",
                    "This shop handle is taken; please choose another.",
                ),
                (
                    "tenants_host_names_unique",
                    "signup.host_taken",
                    "This shop's host name is taken; please choose another handle.",
                ),
            ],
        )
    })?;
    Ok(())
}

/// The shop with this handle, unless deleted.
pub async fn by_handle(tx: &mut PlatformTx, handle: &str) -> Result<Option<TenantId>, sqlx::Error> {
    sqlx::query_scalar("select id from tenants where handle = $1 and status <> $2")
        .bind(handle)
        .bind(ShopStatus::Deleted)
        .fetch_optional(&mut *tx)
        .await
}

/// The transaction's shop.
pub async fn get(tx: &mut TenantTx) -> Result<ShopRow, sqlx::Error> {
    sqlx::query_as("select handle, display_name, host_names from tenants where id = $1")
        .bind(tx.tenant())
        .fetch_one(&mut *tx)
        .await
}

/// Renames the shop and sets its host names.
pub async fn update(
    tx: &mut TenantTx,
    display_name: &str,
    host_names: &[String],
) -> Result<(), ApiError> {
    sqlx::query("update tenants set display_name = $2, host_names = $3 where id = $1")
        .bind(tx.tenant())
        .bind(display_name)
        .bind(host_names)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            on_constraint(
                e,
                &[(
                    "tenants_host_names_unique",
                    "settings.host_taken",
                    "One of these host names belongs to another shop.",
                )],
            )
        })?;
    Ok(())
}
