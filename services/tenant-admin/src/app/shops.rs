//! Opening a shop, and what its console shows about it.

use platform_auth::check_password_policy;
use platform_domain::{Currency, StaffId, StaffRole};
use platform_tenancy::TenantId;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::app::domain::{Email, ShopHandle, parse_text};
use crate::app::staff;
use crate::db;
use crate::error::ApiError;

/// Sign-up input (API and console share it).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignupInput {
    /// Shop handle.
    pub handle: String,
    /// Shop name.
    pub display_name: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Owner's email.
    pub email: String,
    /// Owner's password (12 to 128 characters).
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// What sign-up created.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedUp {
    /// The new tenant.
    #[schema(value_type = String, format = Uuid)]
    pub tenant_id: TenantId,
    /// Its handle.
    pub handle: String,
    /// Where the shop is served.
    pub host_name: String,
    /// The shop's URL.
    pub storefront_url: String,
}

/// Creates a tenant, its settings and its owner account, in one transaction. Each client
/// network opens a bounded number of shops per hour.
pub async fn signup(
    state: &AppState,
    ip: std::net::IpAddr,
    input: SignupInput,
) -> Result<SignedUp, ApiError> {
    if let Err(wait) = state.signups.check(ip) {
        return Err(ApiError::Throttled("signup.rate_limited", wait));
    }
    let handle = ShopHandle::parse(&input.handle)?;
    let display_name = parse_text(
        &input.display_name,
        1,
        100,
        "signup.display_name",
        "The shop name",
    )?;
    let currency = Currency::parse(&input.currency)?;
    let email = Email::parse(&input.email)?;
    check_password_policy(&input.password)?;
    let host_name = format!("{}.{}", handle, state.shop_domain);
    let password_hash = state.hasher.hash(input.password).await?;

    let tenant = TenantId::random();
    // One transaction scoped to the new tenant: the platform row (no RLS) and the tenant
    // rows commit together or not at all.
    let mut tx = state.db.begin(tenant).await?;
    db::shops::insert(
        &mut tx,
        handle.as_str(),
        &display_name,
        std::slice::from_ref(&host_name),
    )
    .await?;
    db::settings::insert(&mut tx, currency, email.as_str()).await?;
    staff::create_account(
        state,
        &mut tx,
        StaffId::random(),
        &email,
        &password_hash,
        platform_domain::RoleSet::of(StaffRole::Owner),
        None,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant_id = %tenant, "shop signed up");
    Ok(SignedUp {
        tenant_id: tenant,
        handle: handle.to_string(),
        storefront_url: state.storefront_url(&host_name),
        host_name,
    })
}

/// The shop as its console's pages head it.
pub struct Overview {
    /// Name.
    pub display_name: String,
    /// The public URL of its first host name.
    pub url: Option<String>,
}

/// The shop's name and public URL.
pub async fn overview(state: &AppState, tenant: TenantId) -> Result<Overview, ApiError> {
    let mut tx = state.db.begin(tenant).await?;
    let shop = db::shops::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Overview {
        url: shop.host_names.first().map(|h| state.storefront_url(h)),
        display_name: shop.display_name,
    })
}
