//! Shops as the storefront finds them: by host name, on the platform's `tenants` table.

use platform_domain::ShopStatus;
use platform_tenancy::{PlatformTx, TenantId};

/// A shop, as the storefront knows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shop {
    /// Tenant id.
    pub id: TenantId,
    /// Handle.
    pub handle: String,
    /// Name.
    pub display_name: String,
    /// Active or suspended (deleted shops are not found).
    pub status: ShopStatus,
}

/// The shop served at `host`, unless deleted.
pub async fn by_host(tx: &mut PlatformTx, host: &str) -> Result<Option<Shop>, sqlx::Error> {
    sqlx::query_as(
        "select id, handle, display_name, status from tenants \
         where host_names @> array[$1] and status <> $2",
    )
    .bind(host)
    .bind(ShopStatus::Deleted)
    .fetch_optional(&mut *tx)
    .await
}
