//! Aggregate product view counts (O23).

use chrono::NaiveDate;
use platform_domain::ProductId;
use platform_tenancy::TenantTx;

/// Adds `counts[i]` views of `products[i]` on `day`, in one statement. The join drops
/// products deleted meanwhile (they have no counter to keep).
pub async fn add(
    tx: &mut TenantTx,
    day: NaiveDate,
    products: &[ProductId],
    counts: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into product_view_counts (tenant_id, product_id, day, views) \
         select p.tenant_id, p.id, $2, x.n \
         from unnest($3::uuid[], $4::bigint[]) as x(id, n) \
         join products p on p.tenant_id = $1 and p.id = x.id \
         on conflict (tenant_id, product_id, day) \
         do update set views = product_view_counts.views + excluded.views",
    )
    .bind(tx.tenant())
    .bind(day)
    .bind(products)
    .bind(counts)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
