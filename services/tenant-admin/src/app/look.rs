//! The shop's look (issue 16): its accent colour and the home page's banner, which the
//! storefront applies without JavaScript. Owners set it; the colour must carry white text
//! at WCAG AA.

use platform_domain::{Accent, Permission};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::app::domain::parse_text;
use crate::app::orders::require;
use crate::app::staff::Staff;
use crate::error::ApiError;

/// The look as stored.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Look {
    /// `#rrggbb`.
    pub accent_color: String,
    /// The banner's headline (empty: no banner).
    pub banner_title: String,
    /// Its line of text.
    pub banner_text: String,
}

/// The look as the form and the API send it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookInput {
    /// `#rrggbb`.
    pub accent_color: String,
    /// Headline.
    pub banner_title: String,
    /// Text.
    pub banner_text: String,
}

/// The shop's look (the defaults when it has no settings yet).
pub async fn get(state: &AppState, tenant: TenantId) -> Result<Look, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let look: Option<Look> =
        sqlx::query_as("select accent_color, banner_title, banner_text from store_settings")
            .fetch_optional(&mut tx)
            .await?;
    tx.commit().await?;
    Ok(look.unwrap_or(Look {
        accent_color: "#0f766e".to_owned(),
        banner_title: String::new(),
        banner_text: String::new(),
    }))
}

/// Checks and stores the look.
pub async fn save(state: &AppState, staff: &Staff, input: &LookInput) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let accent = Accent::parse(&input.accent_color)?;
    let title = parse_text(
        &input.banner_title,
        0,
        120,
        "look.banner_title_invalid",
        "The banner's headline",
    )?;
    let text = parse_text(
        &input.banner_text,
        0,
        500,
        "look.banner_text_invalid",
        "The banner's text",
    )?;
    let mut tx = state.db.begin(staff.tenant).await?;
    let updated = sqlx::query(
        "update store_settings set accent_color = $1, banner_title = $2, banner_text = $3",
    )
    .bind(accent.as_str())
    .bind(&title)
    .bind(&text)
    .execute(&mut tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
