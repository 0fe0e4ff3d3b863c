//! Payments, processor events and refunds.

use chrono::{DateTime, Utc};
use platform_domain::OrderId;
use platform_orders_api::PaymentView;
use platform_processor_api::Card;
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// An order's payment row.
#[derive(Debug, sqlx::FromRow)]
pub struct PaymentRow {
    /// The processor's id.
    pub processor_id: String,
    /// `pending`, `captured`, `expired`.
    pub status: String,
    /// Card brand.
    pub card_brand: Option<String>,
    /// Last four digits.
    pub card_last4: Option<String>,
    /// Expiry month.
    pub card_exp_month: Option<i16>,
    /// Expiry year.
    pub card_exp_year: Option<i16>,
    /// Why the last attempt failed.
    pub last_failure: Option<String>,
    /// When captured.
    pub captured_at: Option<DateTime<Utc>>,
}

impl From<PaymentRow> for PaymentView {
    fn from(r: PaymentRow) -> Self {
        PaymentView {
            status: r.status,
            card_brand: r.card_brand,
            card_last4: r.card_last4,
            card_exp_month: r.card_exp_month,
            card_exp_year: r.card_exp_year,
            last_failure: r.last_failure,
            captured_at: r.captured_at,
        }
    }
}

/// The order's payment.
pub async fn find(tx: &mut TenantTx, order: OrderId) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as(
        "select processor_id, status, card_brand, card_last4, card_exp_month, card_exp_year, \
         last_failure, captured_at from payments where order_id = $1",
    )
    .bind(order)
    .fetch_optional(&mut *tx)
    .await
}

/// Records the processor's payment for the order; true when it is new.
pub async fn insert(
    tx: &mut TenantTx,
    order: OrderId,
    processor_id: &str,
    amount_minor: i64,
    currency: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into payments (tenant_id, order_id, processor_id, amount_minor, currency) \
         values ($1, $2, $3, $4, $5) on conflict (tenant_id, order_id) do nothing",
    )
    .bind(tx.tenant())
    .bind(order)
    .bind(processor_id)
    .bind(amount_minor)
    .bind(currency)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Marks the payment captured with what may be kept of the card (O3). Conditional: true
/// only for the one call that moved it, however many race.
pub async fn capture(
    tx: &mut TenantTx,
    order: OrderId,
    processor_id: &str,
    card: Option<&Card>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update payments set status = 'captured', captured_at = now(), updated_at = now(), \
         last_failure = null, card_brand = $3, card_last4 = $4, card_exp_month = $5, \
         card_exp_year = $6, processor_token = $7 \
         where order_id = $1 and processor_id = $2 and status <> 'captured'",
    )
    .bind(order)
    .bind(processor_id)
    .bind(card.map(|c| c.brand.as_str()))
    .bind(card.map(|c| c.last4.as_str()))
    .bind(card.map(|c| i16::from(c.exp_month)))
    .bind(card.map(|c| i16::try_from(c.exp_year).unwrap_or(i16::MAX)))
    .bind(card.map(|c| c.token.as_str()))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records why the last attempt failed (the payment still waits).
pub async fn record_failure(
    tx: &mut TenantTx,
    order: OrderId,
    code: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update payments set last_failure = $2, updated_at = now() \
         where order_id = $1 and status = 'pending'",
    )
    .bind(order)
    .bind(code)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records a processor event; false when it was applied before (a duplicate delivery).
pub async fn first_delivery(
    tx: &mut TenantTx,
    event_id: &str,
    kind: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into processor_events (tenant_id, event_id, kind) values ($1, $2, $3) \
         on conflict (tenant_id, event_id) do nothing",
    )
    .bind(tx.tenant())
    .bind(event_id)
    .bind(kind)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Records a refund to be made (its id is its reference at the processor).
pub async fn insert_refund(
    tx: &mut TenantTx,
    id: Uuid,
    order: OrderId,
    amount_minor: i64,
    actor: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into refunds (tenant_id, id, order_id, amount_minor, actor) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(order)
    .bind(amount_minor)
    .bind(actor)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records the processor's id of a refund it made.
pub async fn refund_made(
    tx: &mut TenantTx,
    id: Uuid,
    processor_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update refunds set processor_id = $2 where id = $1 and processor_id is null")
        .bind(id)
        .bind(processor_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A refund the processor has not confirmed yet.
#[derive(Debug, sqlx::FromRow)]
pub struct OpenRefund {
    /// Its id (the reference).
    pub id: Uuid,
    /// Amount.
    pub amount_minor: i64,
    /// The processor's payment.
    pub payment_id: String,
}

/// Refunds recorded but not yet confirmed by the processor.
pub async fn open_refunds(tx: &mut TenantTx) -> Result<Vec<OpenRefund>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, r.amount_minor, p.processor_id as payment_id \
         from refunds r join payments p on p.order_id = r.order_id \
         where r.processor_id is null order by r.created_at limit 100",
    )
    .fetch_all(&mut *tx)
    .await
}
