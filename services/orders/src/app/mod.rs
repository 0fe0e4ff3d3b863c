//! The orders service's use cases: quote, place (idempotent, one transaction), read, and
//! the sweep that returns the stock of unpaid orders. No HTTP here; SQL lives in `db/`.

pub mod buyer;
pub mod fulfilment;
pub mod idempotency;
pub mod keys;
pub mod mail;
pub mod payments;
pub mod pricing;
pub mod privacy;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use platform_domain::{Country, OrderId, OrderStatus};
use platform_orders_api::{
    Address, BuyerOrder, Contact, ErrorCode, OrderDetail, OrderList, OrderListQuery, OrderSummary,
    PlaceOrder, PlacedOrder, Quote, QuoteRequest,
};
use platform_tenancy::{TenantDb, TenantId, TenantTx};
use platform_vault::{Sealed, Vault, VaultError};
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
        let settings = catalog::settings(&mut tx).await?;
        let details = buyer::check(&settings.fields, order.contact, order.shipping)?;
        if details.shipping.is_none() && order.shipping_rate_id.is_some() {
            return Err(OrdersError::refused(
                ErrorCode::ShippingUnavailable,
                "A shipping rate needs a shipping address.",
            ));
        }
        let variants = catalog::variants_for_update(&mut tx, &lines.variant_ids()).await?;
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

    /// The order a finished key placed: for a caller that sends the same order again but
    /// no longer has its body (the buyer's cart was cleared by the first send). The key is
    /// the caller's secret; it reveals no more than the first answer did.
    pub async fn placed_by_key(
        &self,
        tenant: TenantId,
        key: IdempotencyKey,
    ) -> Result<PlacedOrder> {
        let mut tx = self.db.begin(tenant).await?;
        let answer = db::idempotency::answer(&mut tx, &key).await?;
        tx.commit().await?;
        match answer {
            Some(body) => Ok(serde_json::from_value(body)?),
            None => Err(OrdersError::NotFound),
        }
    }

    /// A page of the shop's orders, newest first.
    pub async fn list(&self, tenant: TenantId, query: OrderListQuery) -> Result<OrderList> {
        let limit = i64::from(query.limit.unwrap_or(50));
        if !(1..=200).contains(&limit) {
            return Err(OrdersError::refused(
                ErrorCode::QueryInvalid,
                "A page holds 1 to 200 orders.",
            ));
        }
        if query.before.is_some_and(|b| b < 1) {
            return Err(OrdersError::refused(
                ErrorCode::QueryInvalid,
                "Order numbers start at 1.",
            ));
        }
        let mut tx = self.db.begin(tenant).await?;
        let number = match query.number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let prefix = catalog::settings(&mut tx).await?.number_prefix;
                let digits = text
                    .strip_prefix(prefix.as_str())
                    .filter(|_| !prefix.is_empty())
                    .unwrap_or(text)
                    .trim_start_matches('#');
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 => Some(n),
                    // No order has a number that is no number.
                    _ => Some(0),
                }
            }
        };
        let orders = db::orders::list(&mut tx, &query, number, limit).await?;
        tx.commit().await?;
        let next_before = (orders.len() as i64 == limit)
            .then(|| orders.last().map(|o: &OrderSummary| o.number))
            .flatten();
        Ok(OrderList {
            orders,
            next_before,
        })
    }

    /// One order with the buyer's details opened, for the merchant (O1).
    pub async fn detail(&self, tenant: TenantId, id: OrderId) -> Result<OrderDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let contact = self
            .open_contact(&mut tx, row.contact_sealed.as_deref())
            .await?;
        let shipping: Option<Address> = match &row.shipping_sealed {
            Some(bytes) => self.open(&mut tx, SHIPPING_FIELD, bytes).await?,
            None => None,
        };
        let lines = db::orders::lines(&mut tx, id).await?;
        let events = db::orders::events(&mut tx, id).await?;
        let payment = db::payments::find(&mut tx, id).await?.map(Into::into);
        let shipment = db::orders::shipment(&mut tx, id).await?;
        tx.commit().await?;
        Ok(OrderDetail {
            summary: OrderSummary {
                id: row.id,
                number: row.number,
                reference: row.reference,
                status: row.status,
                currency: row.currency,
                total_minor: row.total_minor,
                item_count: row.item_count,
                created_at: row.created_at,
            },
            lines,
            subtotal_minor: row.subtotal_minor,
            shipping_minor: row.shipping_minor,
            tax_minor: row.tax_minor,
            tax_rate_bp: row.tax_rate_bp,
            tax_inclusive: row.tax_inclusive,
            refunded_minor: row.refunded_minor,
            shipping_rate_name: row.shipping_rate_name,
            contact,
            shipping,
            buyer_ip: row.buyer_ip,
            erased_at: row.erased_at,
            hold_until: row.hold_until,
            payment,
            shipment,
            events,
        })
    }

    /// Opens a sealed document; none once the buyer's key was shredded (erasure, O14).
    pub(crate) async fn open<T: serde::de::DeserializeOwned>(
        &self,
        tx: &mut TenantTx,
        field: &str,
        bytes: &[u8],
    ) -> Result<Option<T>> {
        let sealed = Sealed::from_bytes(bytes.to_vec())?;
        match self.vault.open(tx, field, &sealed).await {
            Ok(plain) => Ok(Some(serde_json::from_slice(&plain)?)),
            Err(VaultError::KeyDestroyed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The buyer's contact details; empty once erased.
    pub(crate) async fn open_contact(
        &self,
        tx: &mut TenantTx,
        sealed: Option<&[u8]>,
    ) -> Result<Contact> {
        Ok(match sealed {
            Some(bytes) => self.open(tx, CONTACT_FIELD, bytes).await?,
            None => None,
        }
        .unwrap_or_default())
    }

    /// The buyer's view of an order, by its public code: no personal data.
    pub async fn by_code(&self, tenant: TenantId, code: &str) -> Result<BuyerOrder> {
        if code.len() != 22
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(OrdersError::NotFound);
        }
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find_by_code(&mut tx, code)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let lines = db::orders::lines(&mut tx, row.id).await?;
        let payment = db::payments::find(&mut tx, row.id).await?.map(Into::into);
        let shipment = db::orders::shipment(&mut tx, row.id).await?;
        tx.commit().await?;
        Ok(BuyerOrder {
            reference: row.reference,
            status: row.status,
            currency: row.currency,
            lines,
            subtotal_minor: row.subtotal_minor,
            shipping_minor: row.shipping_minor,
            tax_minor: row.tax_minor,
            tax_inclusive: row.tax_inclusive,
            total_minor: row.total_minor,
            refunded_minor: row.refunded_minor,
            shipping_rate_name: row.shipping_rate_name,
            hold_until: row.hold_until,
            created_at: row.created_at,
            payment,
            shipment,
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

    /// An order's summary as it stands (no personal data, nothing to open).
    pub(crate) async fn summary(&self, tenant: TenantId, id: OrderId) -> Result<OrderSummary> {
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?;
        tx.commit().await?;
        Ok(OrderSummary {
            id: row.id,
            number: row.number,
            reference: row.reference,
            status: row.status,
            currency: row.currency,
            total_minor: row.total_minor,
            item_count: row.item_count,
            created_at: row.created_at,
        })
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
