//! The cart's use cases: what a caller can do with a cart, independent of HTTP. Each one
//! reads the shop's settings and catalog under the shop's row-level security, decides in
//! Redis atomically, and answers with the contract's wire types.

pub mod domain;
mod pricing;

use platform_cart_api::{CartId, CartView, LineChanged, Mode, Prefill, Summary, VariantId};
use platform_tenancy::{TenantDb, TenantId};
use platform_vault::{Sealed, Vault, VaultError};

use crate::db::{self, VariantInfo};
use crate::error::CartError;
use crate::store::{CartStore, LineChange, LineOp, LineOutcome};
use domain::{Quantity, ValidPrefill};

type Result<T> = std::result::Result<T, CartError>;

/// The carts of every shop.
#[derive(Clone)]
pub struct Carts {
    store: CartStore,
    db: TenantDb,
    vault: Vault,
    visit_ttl: u64,
}

/// The field context of a cart's checkout draft: binds the ciphertext to this cart.
fn prefill_context(cart: CartId) -> String {
    format!("cart.prefill:{cart}")
}

impl Carts {
    /// Carts in `store`, priced from `db`, drafts sealed by `vault`; cookie-less carts
    /// live `visit_ttl` seconds.
    pub fn new(store: CartStore, db: TenantDb, vault: Vault, visit_ttl: u64) -> Self {
        Carts {
            store,
            db,
            vault,
            visit_ttl,
        }
    }

    /// The Redis store (for readiness).
    pub fn store(&self) -> &CartStore {
        &self.store
    }

    /// The catalog database (for readiness).
    pub fn db(&self) -> &TenantDb {
        &self.db
    }

    /// TTL for an operation that read the shop's settings.
    fn ttl_for(&self, mode: Mode, cookie_days: u32) -> u64 {
        match mode {
            Mode::Cookie => u64::from(cookie_days) * 86_400,
            Mode::Visit => self.visit_ttl,
        }
    }

    /// TTL for an operation that did not: 0 keeps the cart's stored TTL.
    fn ttl_known(&self, mode: Mode) -> u64 {
        match mode {
            Mode::Cookie => 0,
            Mode::Visit => self.visit_ttl,
        }
    }

    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    async fn on_sale(&self, tenant: TenantId, variant: VariantId) -> Result<(VariantInfo, u32)> {
        let (settings, found) = db::catalog(&self.db, tenant, &[variant]).await?;
        let info = found
            .into_iter()
            .find(VariantInfo::on_sale)
            .ok_or(CartError::VariantUnavailable)?;
        Ok((info, settings.cookie_ttl_days))
    }

    /// Adds `quantity` of a variant on sale, within its stock.
    pub async fn add(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
        quantity: Quantity,
    ) -> Result<LineChanged> {
        self.change_line(LineOp::Add, tenant, cart, mode, variant, quantity)
            .await
    }

    /// Sets a line's quantity (and acknowledges the current price).
    pub async fn set_quantity(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
        quantity: Quantity,
    ) -> Result<LineChanged> {
        self.change_line(LineOp::Set, tenant, cart, mode, variant, quantity)
            .await
    }

    async fn change_line(
        &self,
        op: LineOp,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
        quantity: Quantity,
    ) -> Result<LineChanged> {
        let (info, days) = self.on_sale(tenant, variant).await?;
        let ttl = self.ttl_for(mode, days);
        let change = LineChange {
            tenant,
            cart,
            variant,
            quantity: quantity.get(),
            most: u32::try_from(info.stock).unwrap_or(0),
            price_minor: info.price_minor,
            ttl,
            mode,
        };
        let outcome = self.store.change_line(op, &change).await?;
        changed(outcome, info.stock, ttl)
    }

    /// Removes a line.
    pub async fn remove(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        variant: VariantId,
    ) -> Result<()> {
        if self
            .store
            .remove(tenant, cart, variant, self.ttl_known(mode))
            .await?
        {
            Ok(())
        } else {
            Err(CartError::NoLine)
        }
    }

    /// Deletes the cart, draft included.
    pub async fn clear(&self, tenant: TenantId, cart: CartId) -> Result<()> {
        Ok(self.store.clear(tenant, cart).await?)
    }

    /// The mini-cart.
    pub async fn summary(&self, tenant: TenantId, cart: CartId, mode: Mode) -> Result<Summary> {
        let (item_count, ttl_seconds) =
            self.store.count(tenant, cart, self.ttl_known(mode)).await?;
        Ok(Summary {
            item_count,
            ttl_seconds,
        })
    }

    /// The cart priced from the catalog now. Reading it renews its TTL: a cookie cart
    /// by the one it was last given (the shop's setting at its last change), a
    /// cookie-less one by the visit's.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn view(&self, tenant: TenantId, cart: CartId, mode: Mode) -> Result<CartView> {
        let stored = self
            .store
            .read(tenant, cart, self.ttl_known(mode), mode)
            .await?;
        let ids: Vec<VariantId> = stored.lines.keys().copied().collect();
        let (settings, infos) = db::catalog(&self.db, tenant, &ids).await?;
        Ok(pricing::priced(&stored, &infos, settings.currency, mode))
    }

    /// Keeps a checked draft with the cart, sealed; an empty draft forgets it.
    pub async fn save_prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
        mode: Mode,
        prefill: ValidPrefill,
    ) -> Result<Summary> {
        let mut tx = self.db.begin(tenant).await?;
        let settings = db::settings(&mut tx).await?;
        let prefill = prefill.minimised(&settings.checkout_fields);
        if prefill.is_empty() {
            tx.commit().await?;
            self.store.forget_prefill(tenant, cart).await?;
        } else {
            let plaintext = serde_json::to_vec(prefill.get())?;
            let sealed = self
                .vault
                .seal_for_tenant(&mut tx, &prefill_context(cart), &plaintext)
                .await?;
            tx.commit().await?;
            self.store
                .put_prefill(
                    tenant,
                    cart,
                    sealed.as_bytes(),
                    self.ttl_for(mode, settings.cookie_ttl_days),
                    mode,
                )
                .await?;
        }
        self.summary(tenant, cart, mode).await
    }

    /// The draft kept with the cart (empty when none, or when the shop's key is gone).
    pub async fn prefill(&self, tenant: TenantId, cart: CartId) -> Result<Prefill> {
        let Some(bytes) = self.store.prefill(tenant, cart).await? else {
            return Ok(Prefill::default());
        };
        let sealed = Sealed::from_bytes(bytes)?;
        let mut tx = self.db.begin(tenant).await?;
        let opened = self
            .vault
            .open(&mut tx, &prefill_context(cart), &sealed)
            .await;
        tx.commit().await?;
        match opened {
            Ok(plaintext) => Ok(serde_json::from_slice(&plaintext)?),
            // The shop's key is gone (shop deleted): the draft is unreadable, as promised.
            Err(VaultError::KeyDestroyed) => {
                self.store.forget_prefill(tenant, cart).await?;
                Ok(Prefill::default())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets the draft ("forget my details").
    pub async fn forget_prefill(&self, tenant: TenantId, cart: CartId) -> Result<()> {
        Ok(self.store.forget_prefill(tenant, cart).await?)
    }

    /// Switches how the cart is kept (the browser refused the cookie).
    pub async fn set_mode(&self, tenant: TenantId, cart: CartId, mode: Mode) -> Result<Summary> {
        let ttl = match mode {
            Mode::Visit => self.visit_ttl,
            Mode::Cookie => {
                let mut tx = self.db.begin(tenant).await?;
                let settings = db::settings(&mut tx).await?;
                tx.commit().await?;
                u64::from(settings.cookie_ttl_days) * 86_400
            }
        };
        let ttl_seconds = self.store.set_mode(tenant, cart, ttl, mode).await?;
        let (item_count, _) = self.store.count(tenant, cart, 0).await?;
        Ok(Summary {
            item_count,
            ttl_seconds,
        })
    }
}

fn changed(outcome: LineOutcome, stock: i32, ttl: u64) -> Result<LineChanged> {
    match outcome {
        LineOutcome::Ok(quantity) => Ok(LineChanged {
            quantity,
            ttl_seconds: ttl,
        }),
        LineOutcome::LineLimit => Err(CartError::LineLimit),
        LineOutcome::QuantityCap => Err(CartError::Invalid(domain::Quantity::too_many())),
        LineOutcome::OverStock => Err(CartError::InsufficientStock {
            available: stock.max(0),
        }),
        LineOutcome::NoLine => Err(CartError::NoLine),
    }
}
