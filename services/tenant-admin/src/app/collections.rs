//! Collections of products, and which of them the storefront's menu links.

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
    /// Link it from the storefront's menu (default: no; at most six are).
    pub in_menu: Option<bool>,
}

/// Changes to a collection: what is left out stays as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionPatch {
    /// Title.
    pub title: Option<String>,
    /// Handle (its storefront address changes with it).
    pub handle: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Link it from the storefront's menu.
    pub in_menu: Option<bool>,
}

/// The most collections a menu links: more would not fit a phone's header.
pub const MENU_MAX: i64 = 6;

fn checked_title(raw: &str) -> Result<String, ApiError> {
    Ok(parse_text(
        raw,
        1,
        200,
        "collection.title_invalid",
        "The title",
    )?)
}

fn checked_description(raw: &str) -> Result<String, ApiError> {
    Ok(parse_prose(
        raw,
        0,
        20_000,
        "collection.description_invalid",
        "The description",
    )?)
}

/// Refuses a seventh collection in the menu.
async fn check_menu_room(tx: &mut TenantTx, id: CollectionId) -> Result<(), ApiError> {
    if db::collections::in_menu_besides(tx, id).await? >= MENU_MAX {
        return Err(ApiError::Conflict {
            code: "collection.menu_full",
            message: "The menu links at most six collections: take one out of it first.".into(),
        });
    }
    Ok(())
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
    let title = checked_title(&input.title)?;
    let handle = match input.handle.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(h) => parse_slug(h, "collection.handle_invalid")?,
        None => parse_slug(&slugify(&title), "collection.handle_invalid")?,
    };
    let description = checked_description(input.description.as_deref().unwrap_or(""))?;
    let in_menu = input.in_menu.unwrap_or(false);
    let id = CollectionId::random();
    let mut tx = state.db.begin(tenant).await?;
    if in_menu {
        check_menu_room(&mut tx, id).await?;
    }
    let fields = db::collections::Fields {
        handle: &handle,
        title: &title,
        description: &description,
        in_menu,
    };
    db::collections::insert(&mut tx, id, &fields).await?;
    let c = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(c)
}

/// Changes a collection's title, handle, description or place in the menu.
pub async fn update(
    state: &AppState,
    tenant: TenantId,
    id: CollectionId,
    patch: CollectionPatch,
) -> Result<Collection, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let current = load(&mut tx, id).await?;
    let title = match &patch.title {
        Some(t) => checked_title(t)?,
        None => current.title,
    };
    let handle = match &patch.handle {
        Some(h) => parse_slug(h, "collection.handle_invalid")?,
        None => current.handle,
    };
    let description = match &patch.description {
        Some(d) => checked_description(d)?,
        None => current.description,
    };
    let in_menu = patch.in_menu.unwrap_or(current.in_menu);
    if in_menu && !current.in_menu {
        check_menu_room(&mut tx, id).await?;
    }
    let fields = db::collections::Fields {
        handle: &handle,
        title: &title,
        description: &description,
        in_menu,
    };
    if !db::collections::update(&mut tx, id, &fields).await? {
        return Err(ApiError::NotFound);
    }
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
