//! A shop's orders as the operator's grant shows them: through
//! `processor.orders_seen`, whose personal columns are NULL outside the granted classes,
//! and the order lines (no personal data), readable only under an active grant.

use chrono::{DateTime, Utc};
use platform_tenancy::TenantTx;
use sqlx::Row;
use uuid::Uuid;

/// An order row as the grant lets the operator see it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: Uuid,
    pub number: i64,
    pub reference: String,
    pub status: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub shipping_rate_name: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub contact_sealed: Option<Vec<u8>>,
    pub shipping_sealed: Option<Vec<u8>>,
    pub buyer_ip: Option<std::net::IpAddr>,
    pub subtotal_minor: Option<i64>,
    pub shipping_minor: Option<i64>,
    pub tax_minor: Option<i64>,
    pub total_minor: Option<i64>,
    pub refunded_minor: Option<i64>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub card_exp_month: Option<i16>,
    pub card_exp_year: Option<i16>,
}

fn seen(r: &sqlx::postgres::PgRow) -> Result<Seen, sqlx::Error> {
    Ok(Seen {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        reference: r.try_get("reference")?,
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        created_at: r.try_get("created_at")?,
        shipping_rate_name: r.try_get("shipping_rate_name")?,
        carrier: r.try_get("carrier")?,
        tracking_number: r.try_get("tracking_number")?,
        shipped_at: r.try_get("shipped_at")?,
        delivered_at: r.try_get("delivered_at")?,
        contact_sealed: r.try_get("contact_sealed")?,
        shipping_sealed: r.try_get("shipping_sealed")?,
        buyer_ip: r.try_get("buyer_ip")?,
        subtotal_minor: r.try_get("subtotal_minor")?,
        shipping_minor: r.try_get("shipping_minor")?,
        tax_minor: r.try_get("tax_minor")?,
        total_minor: r.try_get("total_minor")?,
        refunded_minor: r.try_get("refunded_minor")?,
        card_brand: r.try_get("card_brand")?,
        card_last4: r.try_get("card_last4")?,
        card_exp_month: r.try_get("card_exp_month")?,
        card_exp_year: r.try_get("card_exp_year")?,
    })
}

const COLUMNS: &str = "id, number, reference, status, currency, created_at, shipping_rate_name, \
     carrier, tracking_number, shipped_at, delivered_at, contact_sealed, shipping_sealed, \
     buyer_ip, subtotal_minor, shipping_minor, tax_minor, total_minor, refunded_minor, \
     card_brand, card_last4, card_exp_month, card_exp_year";

/// A page of orders, newest first, numbered below `before` when given.
pub async fn page(
    tx: &mut TenantTx,
    before: Option<i64>,
    limit: i32,
) -> Result<Vec<Seen>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from processor.orders_seen(null, $1, $2)");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter().map(seen).collect()
}

/// One order.
pub async fn one(tx: &mut TenantTx, id: Uuid) -> Result<Option<Seen>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from processor.orders_seen($1, null, 1)");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(seen).transpose()
}

/// A line of an order (no personal data).
#[derive(Debug, Clone)]
pub struct Line {
    pub product: String,
    pub variant: String,
    pub quantity: i32,
    pub unit_minor: i64,
}

/// The order's lines.
pub async fn lines(tx: &mut TenantTx, order: Uuid) -> Result<Vec<Line>, sqlx::Error> {
    let rows = sqlx::query(
        "select product_title, variant_title, quantity, unit_price_minor from order_lines \
         where tenant_id = $1 and order_id = $2 order by position",
    )
    .bind(tx.tenant())
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Line {
                product: r.try_get("product_title")?,
                variant: r.try_get("variant_title")?,
                quantity: r.try_get("quantity")?,
                unit_minor: r.try_get("unit_price_minor")?,
            })
        })
        .collect()
}
