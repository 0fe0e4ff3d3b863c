//! Collections and their member products.

use platform_domain::{CollectionId, ProductId};
use platform_tenancy::TenantTx;
use serde::Serialize;

use crate::error::{ApiError, on_constraint};

/// A collection with its members in order.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Collection {
    /// Id.
    pub id: CollectionId,
    /// URL handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Whether the storefront's menu links it.
    pub in_menu: bool,
    /// Member products, in order.
    pub product_ids: Vec<ProductId>,
}

/// Collections with their members in one statement, narrowed by `$tail`.
macro_rules! with_members {
    ($tail:literal) => {
        concat!(
            "select c.id, c.handle, c.title, c.description, c.in_menu, \
                    coalesce((select array_agg(cp.product_id order by cp.position, cp.product_id) \
                      from collection_products cp \
                      where cp.tenant_id = c.tenant_id and cp.collection_id = c.id), '{}') as product_ids \
             from collections c where c.tenant_id = $1 ",
            $tail
        )
    };
}

/// Every collection, by title.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Collection>, sqlx::Error> {
    sqlx::query_as(with_members!("order by c.title"))
        .bind(tx.tenant())
        .fetch_all(&mut *tx)
        .await
}

/// One collection.
pub async fn get(tx: &mut TenantTx, id: CollectionId) -> Result<Option<Collection>, sqlx::Error> {
    sqlx::query_as(with_members!("and c.id = $2"))
        .bind(tx.tenant())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// A collection's fields as written.
pub struct Fields<'a> {
    /// URL handle.
    pub handle: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// In the storefront's menu.
    pub in_menu: bool,
}

fn handle_taken(e: sqlx::Error) -> ApiError {
    on_constraint(
        e,
        &[(
            "collections_tenant_id_handle_key",
            "collection.handle_taken",
            "Another collection already uses this handle.",
        )],
    )
}

/// Creates a collection.
pub async fn insert(tx: &mut TenantTx, id: CollectionId, f: &Fields<'_>) -> Result<(), ApiError> {
    sqlx::query(
        "insert into collections (tenant_id, id, handle, title, description, in_menu) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(f.handle)
    .bind(f.title)
    .bind(f.description)
    .bind(f.in_menu)
    .execute(&mut *tx)
    .await
    .map_err(handle_taken)?;
    Ok(())
}

/// Rewrites a collection's fields; false when there is none.
pub async fn update(tx: &mut TenantTx, id: CollectionId, f: &Fields<'_>) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "update collections set handle = $3, title = $4, description = $5, in_menu = $6 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(f.handle)
    .bind(f.title)
    .bind(f.description)
    .bind(f.in_menu)
    .execute(&mut *tx)
    .await
    .map_err(handle_taken)?;
    Ok(done.rows_affected() > 0)
}

/// How many collections other than `except` the menu links, counted under a lock so
/// that two saves cannot both take the last place.
pub async fn in_menu_besides(tx: &mut TenantTx, except: CollectionId) -> Result<i64, sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('collections_menu'), hashtext($1::text))")
        .bind(tx.tenant())
        .execute(&mut *tx)
        .await?;
    sqlx::query_scalar(
        "select count(*) from collections where tenant_id = $1 and in_menu and id <> $2",
    )
    .bind(tx.tenant())
    .bind(except)
    .fetch_one(&mut *tx)
    .await
}

/// Deletes a collection; false when there is none.
pub async fn delete(tx: &mut TenantTx, id: CollectionId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from collections where tenant_id = $1 and id = $2")
        .bind(tx.tenant())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Appends a product to a collection (nothing when it is a member already).
pub async fn add_member(
    tx: &mut TenantTx,
    id: CollectionId,
    product: ProductId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into collection_products (tenant_id, collection_id, product_id, position) \
         select $1, $2, $3, coalesce(max(position), -1) + 1 from collection_products \
         where tenant_id = $1 and collection_id = $2 \
         on conflict do nothing",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(product)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes a product out of a collection.
pub async fn remove_member(
    tx: &mut TenantTx,
    id: CollectionId,
    product: ProductId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "delete from collection_products where tenant_id = $1 and collection_id = $2 and product_id = $3",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(product)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
