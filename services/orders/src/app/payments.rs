//! Paying for an order through the processor (O3, O12), and refunds.
//!
//! The buyer is sent to the processor's page to type the card; the platform never sees
//! it. Whatever tells us a payment was captured (the buyer's return, or any number of
//! webhooks, in any order, at once) goes through one conditional update of the payment
//! row (`status <> 'captured'`) under the order's row lock: exactly one of them moves the
//! order to `paid`, writes the event and queues the confirmation; the others change
//! nothing. Webhook event ids are recorded, so a repeated delivery is dropped.

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use platform_domain::{OrderId, OrderStatus};
use platform_orders_api::{BuyerOrder, ErrorCode, OrderSummary, PaymentStart, RefundOrder};
use platform_processor_api::{Event, EventKind, NewPayment, NewRefund, Payment, PaymentStatus};
use platform_tenancy::{TenantId, TenantTx};
use serde_json::json;
use uuid::Uuid;

use super::{Orders, Result};
use crate::db;
use crate::error::OrdersError;
use crate::processor::PaymentProcessor;

/// The processor and how the platform meets it.
#[derive(Clone)]
pub struct Payments {
    /// The processor.
    pub processor: Arc<dyn PaymentProcessor>,
    /// Where the processor posts webhooks (our public listener's address).
    pub webhook_url: String,
    /// How long a rotated-out key stays accepted, seconds.
    pub key_overlap_secs: u64,
}

/// What a webhook led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Applied now.
    Applied,
    /// This event was applied before; nothing changed.
    Duplicate,
    /// It names no order of ours; acknowledged so the processor stops sending it.
    Ignored,
}

fn valid_code(code: &str) -> bool {
    code.len() == 22
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Orders {
    pub(crate) fn payments(&self) -> Result<&Payments> {
        self.payments.as_ref().ok_or(OrdersError::PaymentsOff)
    }

    /// Opens the order's payment at the processor (or finds the open one) and answers
    /// where to send the buyer. Only an unpaid order inside its hold can be paid.
    pub async fn start_payment(
        &self,
        tenant: TenantId,
        code: &str,
        return_url: &str,
    ) -> Result<PaymentStart> {
        if !return_url.starts_with("https://")
            || return_url.len() > 2000
            || return_url.chars().any(char::is_control)
        {
            return Err(OrdersError::refused(
                ErrorCode::ReturnUrlInvalid,
                "The return address must be an https address.",
            ));
        }
        if !valid_code(code) {
            return Err(OrdersError::NotFound);
        }
        let processor = self.payments()?.processor.clone();
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find_by_code(&mut tx, code)
            .await?
            .ok_or(OrdersError::NotFound)?;
        if row.status != OrderStatus::PendingPayment || row.hold_until <= Utc::now() {
            return Err(OrdersError::refused(
                ErrorCode::NotPayable,
                format!("This order is {} and cannot be paid now.", row.status),
            ));
        }
        let shop = db::outbox::shop_name(&mut tx).await?;
        tx.commit().await?;
        let new = NewPayment {
            reference: row.id.to_string(),
            amount_minor: row.total_minor,
            currency: row.currency.to_string(),
            description: format!("{shop}, order {}", row.reference),
            return_url: return_url.to_owned(),
            expires_at: row.hold_until.timestamp(),
        };
        let payment = self
            .with_signer(tenant, |key| {
                let (processor, new) = (processor.clone(), &new);
                async move { processor.create_payment(&key, new).await }
            })
            .await?;
        let mut tx = self.db.begin(tenant).await?;
        self.apply(&mut tx, row.id, &payment, "buyer").await?;
        tx.commit().await?;
        Ok(PaymentStart {
            pay_url: payment.pay_url,
        })
    }

    /// The buyer came back from the payment page: asks the processor (never trusting the
    /// return itself) and moves the order forward if it was paid.
    pub async fn confirm_payment(&self, tenant: TenantId, code: &str) -> Result<BuyerOrder> {
        if !valid_code(code) {
            return Err(OrdersError::NotFound);
        }
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find_by_code(&mut tx, code)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let payment = db::payments::find(&mut tx, row.id).await?;
        tx.commit().await?;
        if let Some(p) = payment.filter(|p| p.status == "pending") {
            let processor = self.payments()?.processor.clone();
            let found = self
                .with_signer(tenant, |key| {
                    let (processor, id) = (processor.clone(), &p.processor_id);
                    async move { processor.payment(&key, id).await }
                })
                .await?;
            let mut tx = self.db.begin(tenant).await?;
            self.apply(&mut tx, row.id, &found, "buyer").await?;
            tx.commit().await?;
        }
        self.by_code(tenant, code).await
    }

    /// Applies what the processor reports of a payment, under the order's row lock:
    /// records the payment, and captures it once.
    async fn apply(
        &self,
        tx: &mut TenantTx,
        order: OrderId,
        payment: &Payment,
        actor: &str,
    ) -> Result<()> {
        let Some(status) = db::orders::status_for_update(tx, order).await? else {
            return Err(OrdersError::NotFound);
        };
        if db::payments::insert(
            tx,
            order,
            &payment.id,
            payment.amount_minor,
            &payment.currency,
        )
        .await?
        {
            db::orders::add_event(
                tx,
                order,
                "payment_started",
                actor,
                json!({ "processor_payment": payment.id }),
            )
            .await?;
        }
        if payment.status != PaymentStatus::Captured {
            return Ok(());
        }
        if !db::payments::capture(tx, order, &payment.id, payment.card.as_ref()).await? {
            return Ok(());
        }
        let card = json!({
            "card_brand": payment.card.as_ref().map(|c| c.brand.clone()),
            "card_last4": payment.card.as_ref().map(|c| c.last4.clone()),
        });
        match status {
            OrderStatus::PendingPayment => {
                db::orders::set_status(tx, order, OrderStatus::Paid).await?;
                db::orders::add_event(tx, order, "payment_captured", actor, card).await?;
                db::orders::enqueue(tx, order, "order_confirmation").await?;
            }
            _ => {
                // Paid after the hold ran out (or the order was cancelled): the stock went
                // back, so the money goes back too, in full.
                db::orders::add_event(tx, order, "paid_after_cancel", actor, card).await?;
                let refund = Uuid::new_v4();
                db::payments::insert_refund(tx, refund, order, payment.amount_minor, "system")
                    .await?;
                db::orders::add_refunded(tx, order, payment.amount_minor).await?;
                db::orders::add_event(
                    tx,
                    order,
                    "refunded",
                    "system",
                    json!({ "amount_minor": payment.amount_minor, "refund": refund }),
                )
                .await?;
            }
        }
        tracing::info!(tenant_id = %tx.tenant(), order_id = %order, "payment captured");
        Ok(())
    }

    /// A webhook from the processor: verified (signature over the raw body, ±300 s,
    /// nonce), then applied once per event id.
    pub async fn receive_webhook(&self, request: http::Request<Bytes>) -> Result<Delivery> {
        let processor = self.payments()?.processor.clone();
        let event: Event = processor
            .verify_webhook(request)
            .await
            .map_err(OrdersError::Webhook)?;
        let (Ok(tenant), Ok(order)) = (
            event.payment.merchant.parse::<TenantId>(),
            event.payment.reference.parse::<OrderId>(),
        ) else {
            return Ok(Delivery::Ignored);
        };
        let mut tx = self.db.begin(tenant).await?;
        let kind = match event.kind {
            EventKind::PaymentCaptured => "payment_captured",
            EventKind::PaymentFailed => "payment_failed",
            EventKind::PaymentRefunded => "payment_refunded",
        };
        if !db::payments::first_delivery(&mut tx, &event.id, kind).await? {
            tx.commit().await?;
            return Ok(Delivery::Duplicate);
        }
        // `apply` locks the order; one we do not know is acknowledged and nothing kept
        // (the transaction rolls back, event id included).
        match self
            .apply(&mut tx, order, &event.payment, "processor")
            .await
        {
            Err(OrdersError::NotFound) => return Ok(Delivery::Ignored),
            other => other?,
        }
        match event.kind {
            EventKind::PaymentCaptured => {}
            EventKind::PaymentFailed => {
                let code = event
                    .payment
                    .last_failure
                    .as_deref()
                    .filter(|c| {
                        c.len() <= 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    })
                    .unwrap_or("failed");
                if db::payments::record_failure(&mut tx, order, code).await? {
                    db::orders::add_event(
                        &mut tx,
                        order,
                        "payment_failed",
                        "processor",
                        json!({ "reason": code }),
                    )
                    .await?;
                }
            }
            // Refunds are recorded when we ask for them; the event confirms them.
            EventKind::PaymentRefunded => {}
        }
        tx.commit().await?;
        Ok(Delivery::Applied)
    }

    /// Refunds part or all of a paid order on behalf of a member of staff. The refund is
    /// recorded with the order first (its id is the processor reference, so sending it
    /// again refunds once), then sent; one the processor did not confirm is sent again
    /// by the sweep.
    pub async fn refund(
        &self,
        tenant: TenantId,
        order: OrderId,
        refund: RefundOrder,
    ) -> Result<OrderSummary> {
        self.payments()?;
        let mut tx = self.db.begin(tenant).await?;
        let status = db::orders::status_for_update(&mut tx, order)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let payment = db::payments::find(&mut tx, order).await?;
        let captured = payment.as_ref().is_some_and(|p| p.status == "captured");
        if !captured
            || !matches!(
                status,
                OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
            )
        {
            return Err(OrdersError::refused(
                ErrorCode::NotRefundable,
                format!("This order is {status}; only paid orders can be refunded."),
            ));
        }
        let row = db::orders::find(&mut tx, order)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let left = row.total_minor - row.refunded_minor;
        if refund.amount_minor < 1 || refund.amount_minor > left {
            return Err(OrdersError::refused(
                ErrorCode::RefundInvalid,
                format!("A refund must be between 1 and {left} (minor units)."),
            ));
        }
        let id = Uuid::new_v4();
        let actor = format!("staff:{}", refund.staff_id);
        db::payments::insert_refund(&mut tx, id, order, refund.amount_minor, &actor).await?;
        db::orders::add_refunded(&mut tx, order, refund.amount_minor).await?;
        db::orders::add_event(
            &mut tx,
            order,
            "refunded",
            &actor,
            json!({ "amount_minor": refund.amount_minor, "refund": id }),
        )
        .await?;
        tx.commit().await?;
        if let Err(e) = self.send_refunds(tenant).await {
            tracing::warn!(tenant_id = %tenant, error = &e as &dyn std::error::Error, "refund not confirmed yet; will retry");
        }
        self.summary(tenant, order).await
    }

    /// Sends the shop's refunds the processor has not confirmed yet.
    pub(crate) async fn send_refunds(&self, tenant: TenantId) -> Result<u64> {
        let processor = self.payments()?.processor.clone();
        let mut tx = self.db.begin(tenant).await?;
        let open = db::payments::open_refunds(&mut tx).await?;
        tx.commit().await?;
        let mut sent = 0;
        for r in open {
            let new = NewRefund {
                amount_minor: r.amount_minor,
                reference: r.id.to_string(),
            };
            let made = self
                .with_signer(tenant, |key| {
                    let (processor, id, new) = (processor.clone(), &r.payment_id, &new);
                    async move { processor.refund(&key, id, new).await }
                })
                .await?;
            let mut tx = self.db.begin(tenant).await?;
            db::payments::refund_made(&mut tx, r.id, &made.id).await?;
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}
