//! Collections of products.

use platform_domain::{CollectionId, ProductId};
use platform_tenancy::{TenantId, TenantTx};
use serde::Deserialize;

use crate::app::AppState;
use crate::app::domain::{parse_prose, parse_slug, parse_text, slugify};
use crate::db;
use crate::db::collections::Collection;
use crate::error::ApiError;

/// A collection to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CollectionInput {
    /// Title.
    pub title: String,
    /// Handle (default: from the title).
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
}

async fn load(tx: &mut TenantTx, id: CollectionId) -> Result<Collection, ApiError> {
    db::collections::get(tx, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Every collection, by title.
pub async fn list(state: &AppState, tenant: TenantId) -> Result<Vec<Collection>, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let list = db::collections::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list)
}

/// One collection.
pub async fn get(
    state: &AppState,
    tenant: TenantId,
    id: CollectionId,
) -> Result<Collection, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let c = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}

/// Creates an empty collection.
pub async fn create(
    state: &AppState,
    tenant: TenantId,
    input: CollectionInput,
) -> Result<Collection, ApiError> {
    let title = parse_text(
        &input.title,
        1,
        200,
        "collection.title_invalid",
        "The title",
    )?;
    let handle = match input.handle.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(h) => parse_slug(h, "collection.handle_invalid")?,
        None => parse_slug(&slugify(&title), "collection.handle_invalid")?,
    };
    let description = parse_prose(
        input.description.as_deref().unwrap_or(""),
        0,
        20_000,
        "collection.description_invalid",
        "The description",
    )?;
    let id = CollectionId::random();
    let mut tx = state.db.begin(tenant).await?;
    db::collections::insert(&mut tx, id, &handle, &title, &description).await?;
    let c = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}

/// Deletes a collection (its products stay).
pub async fn delete(state: &AppState, tenant: TenantId, id: CollectionId) -> Result<(), ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    if !db::collections::delete(&mut tx, id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Adds a product to a collection, or takes it out.
pub async fn set_member(
    state: &AppState,
    tenant: TenantId,
    id: CollectionId,
    product: ProductId,
    member: bool,
) -> Result<Collection, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    if member {
        // Both must exist for this tenant: the composite foreign keys would refuse another
        // tenant's ids anyway, but a clean 404 is kinder than a constraint error.
        load(&mut tx, id).await?;
        db::products::get(&mut tx, product)
            .await?
            .ok_or(ApiError::NotFound)?;
        db::collections::add_member(&mut tx, id, product).await?;
    } else {
        db::collections::remove_member(&mut tx, id, product).await?;
    }
    let c = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}
