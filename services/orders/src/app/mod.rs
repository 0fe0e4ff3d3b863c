//! The orders service's use cases: quote, place (idempotent, one transaction), read, and
//! the sweep that returns the stock of unpaid orders. No HTTP here; SQL lives in `db/`.

pub mod buyer;
pub mod children;
pub mod consent;
pub mod fulfilment;
pub mod idempotency;
pub mod keys;
pub mod mail;
pub mod payments;
pub mod pricing;
pub mod privacy;
mod reads;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use platform_domain::{Country, OrderId, OrderStatus};
use platform_orders_api::{ErrorCode, OrderSummary, PlaceOrder, PlacedOrder, Quote, QuoteRequest};
use platform_tenancy::{TenantDb, TenantId, TenantTx};
use platform_vault::{Sealed, Vault};
use serde_json::json;
use uuid::Uuid;

use crate::db::{self, catalog, idempotency::Claim};
use crate::error::OrdersError;
use buyer::BuyerDetails;
use idempotency::IdempotencyKey;
use pricing::{Inputs, Lines};

type Result<T> = std::result::Result<T, OrdersError>;

/// Field contexts bound into the buyer's sealed details.
pub(crate) use platform_orders_api::{CONTACT_FIELD, SHIPPING_FIELD};
const EMAIL_INDEX: &str = "orders.email";

/// The answer to a placement.
#[derive(Debug)]
pub enum Placement {
    /// Placed now.
    Created(PlacedOrder),
    /// Placed before with this key and body: the first answer, again.
    Replayed {
        /// Its status.
        status: u16,
        /// Its body.
        body: serde_json::Value,
    },
}

/// The use cases, over the `orders` role's pool and the vault.
#[derive(Clone)]
pub struct Orders {
    db: TenantDb,
    vault: Vault,
    payments: Option<payments::Payments>,
    carrier: Option<std::sync::Arc<dyn crate::carrier::CarrierAdapter>>,
    /// Each shop's signing key, for [`keys::SIGNER_TTL`].
    signers: moka::sync::Cache<TenantId, std::sync::Arc<platform_msgsign::Keypair>>,
    /// Links in request mail and the erasure certificates' key.
    privacy: std::sync::Arc<crate::config::PrivacyConfig>,
}

impl Orders {
    /// Use cases over `db` (the `orders` role) and `vault`.
    pub fn new(db: TenantDb, vault: Vault, privacy: crate::config::PrivacyConfig) -> Self {
        Orders {
            db,
            vault,
            privacy: std::sync::Arc::new(privacy),
            payments: None,
            carrier: None,
            signers: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(keys::SIGNER_TTL)
                .build(),
        }
    }

    /// The same use cases, taking payments through `payments`.
    pub fn with_payments(mut self, payments: payments::Payments) -> Self {
        self.payments = Some(payments);
        self
    }

    /// The pool (for readiness).
    pub fn db(&self) -> &TenantDb {
        &self.db
    }

    /// Prices a prospective order now; nothing is written.
    pub async fn quote(&self, tenant: TenantId, request: QuoteRequest) -> Result<Quote> {
        let lines = Lines::parse(request.lines)?;
        let country = match request.country.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(Country::parse(c).map_err(|e| {
                OrdersError::refused(ErrorCode::CountryUnknown, e.message.into_owned())
            })?),
        };
        let mut tx = self.db.begin(tenant).await?;
        let settings = catalog::settings(&mut tx).await?;
        let variants = catalog::variants(&mut tx, &lines.variant_ids()).await?;
        let countries = catalog::countries(&mut tx).await?;
        let (options, tax) = match country {
            Some(c) => (
                catalog::rates(&mut tx, c).await?,
                catalog::tax(&mut tx, c).await?,
            ),
            None => (Vec::new(), pricing::Tax::default()),
        };
        tx.commit().await?;
        // No rate chosen yet: the merchant's first rate for the country is preselected.
        let chosen = request
            .shipping_rate_id
            .or_else(|| options.first().map(|o| o.id));
        Ok(pricing::quote(Inputs {
            currency: settings.currency,
            fields: settings.fields,
            lines: &lines,
            variants: &variants,
            countries,
            options,
            chosen,
            tax,
            ships: settings.fields.address.is_collected(),
        }))
    }

    /// Places an order exactly once per idempotency key (`body` is the request as sent,
    /// `order` the same parsed): the key is claimed in a short
    /// transaction of its own, then the order, its lines, the stock taken, its first
    /// event, its outbox row and the key's answer are written in one transaction.
    pub async fn place(
        &self,
        tenant: TenantId,
        key: IdempotencyKey,
        body: &serde_json::Value,
        order: PlaceOrder,
    ) -> Result<Placement> {
        let fingerprint = idempotency::fingerprint(body);
        let lines = Lines::parse(order.lines.clone())?;

        let lease = Uuid::new_v4();
        let mut tx = self.db.begin(tenant).await?;
        let claim = db::idempotency::claim(&mut tx, &key, &fingerprint, lease).await?;
        tx.commit().await?;
        match claim {
            Claim::Ours => {}
            Claim::Replay { status, body } => return Ok(Placement::Replayed { status, body }),
            Claim::InFlight => return Err(OrdersError::InFlight),
            Claim::Mismatch => return Err(OrdersError::KeyReused),
        }

        match self.place_claimed(tenant, &key, lease, &lines, order).await {
            Ok(placed) => Ok(Placement::Created(placed)),
            Err(e) => {
                // Nothing was written: free the key so that a retry runs again. If this
                // fails too, the lease runs out and a retry takes the key over.
                if !matches!(e, OrdersError::InFlight)
                    && let Ok(mut tx) = self.db.begin(tenant).await
                    && db::idempotency::release(&mut tx, &key, lease).await.is_ok()
                {
                    let _ = tx.commit().await;
                }
                Err(e)
            }
        }
    }

    async fn place_claimed(
        &self,
        tenant: TenantId,
        key: &IdempotencyKey,
        lease: Uuid,
        lines: &Lines,
        order: PlaceOrder,
    ) -> Result<PlacedOrder> {
        let mut tx = self.db.begin(tenant).await?;
        if catalog::closing(&mut tx).await? {
            return Err(OrdersError::refused(
                ErrorCode::ShopClosing,
                "This shop is closing and takes no new orders.",
            ));
        }
        let settings = catalog::settings(&mut tx).await?;
        let details = buyer::check(&settings.fields, order.contact, order.shipping)?;
        if details.shipping.is_none() && order.shipping_rate_id.is_some() {
            return Err(OrdersError::refused(
                ErrorCode::ShippingUnavailable,
                "A shipping rate needs a shipping address.",
            ));
        }
        let variants = catalog::variants_for_update(&mut tx, &lines.variant_ids()).await?;
        let guardian_consent = self
            .age_check(
                &mut tx,
                settings.sells_to_minors,
                order.age_band,
                order.guardian.as_deref(),
                &variants,
            )
            .await?;
        let (options, tax) = match details.country() {
            Some(c) => (
                catalog::rates(&mut tx, c).await?,
                catalog::tax(&mut tx, c).await?,
            ),
            None => (Vec::new(), pricing::Tax::default()),
        };
        let quote = pricing::quote(Inputs {
            currency: settings.currency,
            fields: settings.fields,
            lines,
            variants: &variants,
            countries: Vec::new(),
            options,
            chosen: order.shipping_rate_id,
            tax,
            ships: details.shipping.is_some(),
        });
        if let Some(line) = quote.lines.iter().find(|l| !l.available) {
            let on_sale = variants
                .iter()
                .any(|v| v.id == line.variant_id && v.on_sale && v.currency == settings.currency);
            return Err(if on_sale {
                OrdersError::InsufficientStock {
                    title: line.product_title.clone(),
                    available: line.in_stock,
                }
            } else {
                OrdersError::refused(
                    ErrorCode::VariantUnavailable,
                    "An item is not sold in this shop (any more).",
                )
            });
        }
        if details.shipping.is_some() && quote.shipping.is_none() {
            return Err(OrdersError::refused(
                ErrorCode::ShippingUnavailable,
                "Please choose a shipping rate for the country of the address.",
            ));
        }
        if quote.total_minor != order.expected_total_minor {
            return Err(OrdersError::TotalsChanged);
        }

        let wanted: Vec<_> = quote
            .lines
            .iter()
            .map(|l| (l.variant_id, i32::try_from(l.quantity).unwrap_or(i32::MAX)))
            .collect();
        if db::orders::take_stock(&mut tx, &wanted).await?.len() != wanted.len() {
            // The rows are locked, so this only happens if the catalog changed under us.
            return Err(OrdersError::TotalsChanged);
        }

        let id = OrderId::random();
        let number = db::orders::next_number(&mut tx).await?;
        let reference = format!("{}{number}", settings.number_prefix);
        let public_code = public_code();
        let subject = Uuid::new_v4();
        let sealed = self.seal(&mut tx, subject, &details).await?;
        let (_, hold_until) = db::orders::insert(
            &mut tx,
            &db::orders::NewOrder {
                id,
                number,
                reference: &reference,
                public_code: &public_code,
                currency: quote.currency,
                subtotal_minor: quote.subtotal_minor,
                shipping_minor: quote.shipping_minor,
                tax_minor: quote.tax_minor,
                total_minor: quote.total_minor,
                tax_rate_bp: quote.tax_rate_bp,
                tax_inclusive: quote.tax_inclusive,
                shipping_rate_name: quote.shipping.as_ref().map(|s| s.name.as_str()),
                subject_id: subject,
                email_index: sealed.email_index,
                contact_sealed: sealed.contact.as_bytes(),
                shipping_sealed: sealed.shipping.as_ref().map(Sealed::as_bytes),
                buyer_ip: order.buyer_ip,
                country: details.country().as_ref().map(Country::as_str),
                hold_minutes: settings.hold_minutes,
                age_band: order.age_band,
                guardian_consent_id: guardian_consent,
            },
        )
        .await?;
        db::orders::insert_lines(&mut tx, id, &quote.lines).await?;
        db::orders::add_event(
            &mut tx,
            id,
            "placed",
            "buyer",
            json!({ "total_minor": quote.total_minor, "currency": quote.currency, "lines": quote.lines.len() }),
        )
        .await?;
        db::orders::enqueue(&mut tx, id, "order_placed").await?;
        // The marketing box, ticked: a subscription to confirm by mail (O17); a buyer who
        // gave no email cannot subscribe.
        if let Some(opt_in) = order.marketing
            && !details.contact.email.is_empty()
        {
            self.ask_subscription(
                &mut tx,
                &details.contact.email,
                platform_domain::ConsentSource::Checkout,
                opt_in.policy_version,
            )
            .await?;
        }
        let placed = PlacedOrder {
            order_id: id,
            reference,
            public_code,
            status: OrderStatus::PendingPayment,
            currency: quote.currency,
            total_minor: quote.total_minor,
            hold_until,
        };
        let answer = serde_json::to_value(&placed)?;
        if !db::idempotency::finish(&mut tx, key, lease, 201, &answer).await? {
            // Another request took the key over after our lease ran out: it places the
            // order; this transaction rolls back.
            return Err(OrdersError::InFlight);
        }
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, order_id = %id, "order placed");
        Ok(placed)
    }

    async fn seal(
        &self,
        tx: &mut TenantTx,
        subject: Uuid,
        details: &BuyerDetails,
    ) -> Result<SealedDetails> {
        let contact = self
            .vault
            .seal_for_subject(
                tx,
                subject,
                CONTACT_FIELD,
                &serde_json::to_vec(&details.contact)?,
            )
            .await?;
        let shipping = match &details.shipping {
            Some((address, _)) => Some(
                self.vault
                    .seal_for_subject(tx, subject, SHIPPING_FIELD, &serde_json::to_vec(address)?)
                    .await?,
            ),
            None => None,
        };
        let email_index = match details.email_for_index() {
            Some(email) => Some(self.vault.blind_index(tx, EMAIL_INDEX, &email).await?),
            None => None,
        };
        Ok(SealedDetails {
            contact,
            shipping,
            email_index,
        })
    }

    /// Cancels an unpaid order on behalf of a member of staff: its stock goes back and the
    /// history records who did it. Cancelling a cancelled order again changes nothing;
    /// anything past payment is refused (paid orders are refunded instead).
    pub async fn cancel(
        &self,
        tenant: TenantId,
        id: OrderId,
        staff: platform_domain::StaffId,
    ) -> Result<OrderSummary> {
        let mut tx = self.db.begin(tenant).await?;
        match db::orders::status_for_update(&mut tx, id).await? {
            None => return Err(OrdersError::NotFound),
            Some(OrderStatus::Cancelled) => {}
            Some(OrderStatus::PendingPayment) => {
                db::orders::return_stock(&mut tx, id).await?;
                db::orders::set_status(&mut tx, id, OrderStatus::Cancelled).await?;
                db::orders::add_event(
                    &mut tx,
                    id,
                    "cancelled",
                    &format!("staff:{staff}"),
                    json!({}),
                )
                .await?;
            }
            Some(other) => return Err(OrdersError::NotCancellable(other)),
        }
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, order_id = %id, "order cancelled");
        self.summary(tenant, id).await
    }

    /// Cancels the unpaid orders of every shop whose hold ran out and returns their
    /// stock; also drops idempotency keys kept past their time. Returns how many orders
    /// it cancelled.
    pub async fn sweep(&self) -> Result<u64> {
        let mut tx = self.db.platform().await?;
        let shops: Vec<TenantId> =
            sqlx::query_scalar("select id from tenants where status <> 'deleted'")
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        let mut cancelled = 0;
        for shop in shops {
            let mut tx = self.db.begin(shop).await?;
            for id in db::orders::lapsed_holds(&mut tx, 500).await? {
                db::orders::return_stock(&mut tx, id).await?;
                db::orders::set_status(&mut tx, id, OrderStatus::Cancelled).await?;
                db::orders::add_event(&mut tx, id, "hold_expired", "system", json!({})).await?;
                cancelled += 1;
            }
            db::idempotency::purge_expired(&mut tx).await?;
            tx.commit().await?;
            self.purge_requests(shop).await?;
            if self.payments.is_some() {
                // One shop's unreachable processor must not stop the others' sweep.
                if let Err(e) = self.key_upkeep(shop).await {
                    tracing::warn!(tenant_id = %shop, error = &e as &dyn std::error::Error, "key upkeep failed");
                }
                if let Err(e) = self.send_refunds(shop).await {
                    tracing::warn!(tenant_id = %shop, error = &e as &dyn std::error::Error, "refunds not sent");
                }
            }
        }
        Ok(cancelled)
    }
}

struct SealedDetails {
    contact: Sealed,
    shipping: Option<Sealed>,
    email_index: Option<[u8; 32]>,
}

/// 128 random bits, URL-safe: what opens the buyer's status page.
fn public_code() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    B64.encode(bytes)
}
