//! The shop's look (issue 16): its accent colour, its logo and the home page's banner
//! (a picture, a headline and a line of text), which the storefront applies without
//! JavaScript. Owners set it; the colour must carry white text at WCAG AA.
//!
//! The logo and the banner picture are checked, resized and stored as product pictures
//! are (see [`crate::app::images`]); a new one replaces the old, whose objects the sweep
//! removes.

use axum::body::Bytes;
use platform_domain::{Accent, Permission};
use platform_tenancy::TenantId;

use crate::app::AppState;
use crate::app::domain::parse_text;
use crate::app::images::{self, forget_unsaved, parse_alt, prepare_and_store};
use crate::app::orders::require;
use crate::app::staff::Staff;
use crate::db;
use crate::db::images::Image;
use crate::error::ApiError;

/// The look as stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Look {
    /// `#rrggbb`.
    pub accent_color: String,
    /// The banner's headline (empty: no banner).
    pub banner_title: String,
    /// Its line of text.
    pub banner_text: String,
    /// The logo the shop's header shows instead of its name (its alt text says the name).
    pub logo: Option<Image>,
    /// The picture of the home page's banner.
    pub banner_image: Option<Image>,
}

#[derive(sqlx::FromRow)]
struct Colours {
    accent_color: String,
    banner_title: String,
    banner_text: String,
}

/// What a picture of the shop's own is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The header's logo.
    Logo,
    /// The home page banner's picture.
    Banner,
}

impl Purpose {
    /// As stored in `shop_images.purpose` and written in addresses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logo => "logo",
            Self::Banner => "banner",
        }
    }

    /// From an address.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "logo" => Some(Self::Logo),
            "banner" => Some(Self::Banner),
            _ => None,
        }
    }
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
    let colours: Option<Colours> =
        sqlx::query_as("select accent_color, banner_title, banner_text from store_settings")
            .fetch_optional(&mut tx)
            .await?;
    let pictures = db::images::shop_pictures(&mut tx).await?;
    tx.commit().await?;
    let colours = colours.unwrap_or(Colours {
        accent_color: "#0f766e".to_owned(),
        banner_title: String::new(),
        banner_text: String::new(),
    });
    let picture = |purpose: Purpose| {
        pictures
            .iter()
            .find(|(p, _)| p == purpose.as_str())
            .map(|(_, image)| image.clone())
    };
    Ok(Look {
        logo: picture(Purpose::Logo),
        banner_image: picture(Purpose::Banner),
        accent_color: colours.accent_color,
        banner_title: colours.banner_title,
        banner_text: colours.banner_text,
    })
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

/// Checks, resizes and stores a new logo or banner picture in place of the old one.
pub async fn set_picture(
    state: &AppState,
    staff: &Staff,
    purpose: Purpose,
    file: Bytes,
    alt: &str,
) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let alt = parse_alt(alt)?;
    let tenant = staff.tenant;
    let stored = prepare_and_store(state, tenant, file).await?;
    let written = async {
        let mut tx = state.db.begin(tenant).await?;
        db::images::replace_shop_picture(&mut tx, purpose.as_str(), &stored.row(&alt, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match written {
        Ok(()) => images::sweep(state, tenant).await,
        Err(_) => forget_unsaved(state, tenant, stored.id).await,
    }
    written
}

/// Changes the alt text of the logo or the banner picture.
pub async fn set_picture_alt(
    state: &AppState,
    staff: &Staff,
    purpose: Purpose,
    alt: &str,
) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let alt = parse_alt(alt)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::images::set_shop_alt(&mut tx, purpose.as_str(), &alt).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Removes the logo or the banner picture (and, after the commit, its objects).
pub async fn remove_picture(
    state: &AppState,
    staff: &Staff,
    purpose: Purpose,
) -> Result<(), ApiError> {
    require(staff, Permission::ManageShop)?;
    let mut tx = state.db.begin(staff.tenant).await?;
    if !db::images::remove_shop_picture(&mut tx, purpose.as_str()).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    images::sweep(state, staff.tenant).await;
    Ok(())
}
