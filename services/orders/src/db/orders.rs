//! Orders, their lines, events and outbox rows.

use chrono::{DateTime, Utc};
use platform_domain::{Currency, OrderId, OrderStatus, VariantId};
use platform_orders_api::{OrderEvent, OrderLine, OrderListQuery, OrderSummary, QuotedLine};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// Takes `quantity` of each variant from stock with a conditional update (`stock >=
/// quantity`), so stock never goes below zero whatever runs at the same time. Returns
/// the variants it could take from; the caller rolls back unless that is all of them.
pub async fn take_stock(
    tx: &mut TenantTx,
    lines: &[(VariantId, i32)],
) -> Result<Vec<VariantId>, sqlx::Error> {
    let (ids, quantities): (Vec<VariantId>, Vec<i32>) = lines.iter().copied().unzip();
    sqlx::query_scalar(
        "update variants v set stock = v.stock - l.quantity \
         from unnest($1::uuid[], $2::int[]) as l(id, quantity) \
         where v.id = l.id and v.stock >= l.quantity \
         returning v.id",
    )
    .bind(ids)
    .bind(quantities)
    .fetch_all(&mut *tx)
    .await
}

/// Puts the stock of an order's lines back (variants deleted since are skipped).
pub async fn return_stock(tx: &mut TenantTx, order: OrderId) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update variants v set stock = v.stock + l.quantity \
         from order_lines l where l.order_id = $1 and v.id = l.variant_id",
    )
    .bind(order)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// The shop's next order number. The counter row is locked until the transaction ends:
/// orders of one shop are numbered one after another without gaps from rollbacks
/// surviving, and other shops never wait.
pub async fn next_number(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into order_counters (tenant_id, next_number) values ($1, 1002) \
         on conflict (tenant_id) do update set next_number = order_counters.next_number + 1 \
         returning next_number - 1",
    )
    .bind(tx.tenant())
    .fetch_one(&mut *tx)
    .await
}

/// A new order's row.
pub struct NewOrder<'a> {
    /// Its id.
    pub id: OrderId,
    /// The shop's number.
    pub number: i64,
    /// Prefix and number.
    pub reference: &'a str,
    /// The buyer's status-page code.
    pub public_code: &'a str,
    /// The shop's currency.
    pub currency: Currency,
    /// Sum of the lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Tax in the total.
    pub tax_minor: i64,
    /// What the buyer pays.
    pub total_minor: i64,
    /// Tax rate, basis points.
    pub tax_rate_bp: i32,
    /// Prices include tax.
    pub tax_inclusive: bool,
    /// The chosen rate's name.
    pub shipping_rate_name: Option<&'a str>,
    /// The buyer as a data subject.
    pub subject_id: Uuid,
    /// Blind index of the email.
    pub email_index: Option<[u8; 32]>,
    /// Sealed contact details.
    pub contact_sealed: &'a [u8],
    /// Sealed shipping address.
    pub shipping_sealed: Option<&'a [u8]>,
    /// The buyer's address (O5).
    pub buyer_ip: std::net::IpAddr,
    /// The destination country (kept for the accounts when the buyer is erased).
    pub country: Option<&'a str>,
    /// Minutes the stock is held unpaid.
    pub hold_minutes: i32,
    /// The buyer's age band (shops that sell to minors).
    pub age_band: Option<platform_domain::AgeBand>,
    /// The guardian's consent a child's order is placed under.
    pub guardian_consent_id: Option<uuid::Uuid>,
}

/// Inserts the order; returns when it was placed and until when its stock is held.
pub async fn insert(
    tx: &mut TenantTx,
    o: &NewOrder<'_>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), sqlx::Error> {
    sqlx::query_as(
        "insert into orders (tenant_id, id, number, reference, public_code, currency, \
             subtotal_minor, shipping_minor, tax_minor, total_minor, tax_rate_bp, tax_inclusive, \
             shipping_rate_name, subject_id, email_index, contact_sealed, shipping_sealed, \
             buyer_ip, country, hold_until, age_band, guardian_consent_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $20, now() + make_interval(mins => $19), $21, $22) \
         returning created_at, hold_until",
    )
    .bind(tx.tenant())
    .bind(o.id)
    .bind(o.number)
    .bind(o.reference)
    .bind(o.public_code)
    .bind(o.currency)
    .bind(o.subtotal_minor)
    .bind(o.shipping_minor)
    .bind(o.tax_minor)
    .bind(o.total_minor)
    .bind(o.tax_rate_bp)
    .bind(o.tax_inclusive)
    .bind(o.shipping_rate_name)
    .bind(o.subject_id)
    .bind(o.email_index.as_ref().map(|i| &i[..]))
    .bind(o.contact_sealed)
    .bind(o.shipping_sealed)
    .bind(o.buyer_ip)
    .bind(o.hold_minutes)
    .bind(o.country)
    .bind(o.age_band)
    .bind(o.guardian_consent_id)
    .fetch_one(&mut *tx)
    .await
}

/// Inserts the order's lines in one statement, as priced.
pub async fn insert_lines(
    tx: &mut TenantTx,
    order: OrderId,
    lines: &[QuotedLine],
) -> Result<(), sqlx::Error> {
    let positions: Vec<i32> = (0..).take(lines.len()).collect();
    let quantities: Vec<i32> = lines
        .iter()
        .map(|l| i32::try_from(l.quantity).unwrap_or(i32::MAX))
        .collect();
    sqlx::query(
        "insert into order_lines (tenant_id, order_id, position, variant_id, sku, product_title, \
             variant_title, unit_price_minor, quantity, line_total_minor) \
         select $1, $2, l.* from unnest($3::int[], $4::uuid[], $5::text[], $6::text[], \
             $7::text[], $8::bigint[], $9::int[], $10::bigint[]) as l",
    )
    .bind(tx.tenant())
    .bind(order)
    .bind(positions)
    .bind(lines.iter().map(|l| l.variant_id).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>())
    .bind(
        lines
            .iter()
            .map(|l| l.product_title.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        lines
            .iter()
            .map(|l| l.variant_title.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(lines.iter().map(|l| l.unit_price_minor).collect::<Vec<_>>())
    .bind(quantities)
    .bind(lines.iter().map(|l| l.line_total_minor).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Appends an event to the order's history. The caller holds the order's row (it was
/// just inserted, or locked), so sequence numbers cannot collide.
pub async fn add_event(
    tx: &mut TenantTx,
    order: OrderId,
    kind: &str,
    actor: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into order_events (tenant_id, order_id, seq, kind, actor, detail) \
         select $1, $2, coalesce(max(seq) + 1, 0), $3, $4, $5 from order_events where order_id = $2",
    )
    .bind(tx.tenant())
    .bind(order)
    .bind(kind)
    .bind(actor)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues a mail about the order in the outbox (once per kind).
pub async fn enqueue(tx: &mut TenantTx, order: OrderId, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, order_id) values ($1, $2, $3, $4) \
         on conflict (tenant_id, order_id, kind) where policy_version is null do nothing",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(order)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

const SUMMARY_COLUMNS: &str = "o.id, o.number, o.reference, o.status, o.currency, o.total_minor, \
     (select coalesce(sum(l.quantity), 0)::bigint from order_lines l where l.order_id = o.id) \
         as item_count, o.created_at";

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: OrderId,
    number: i64,
    reference: String,
    status: OrderStatus,
    currency: Currency,
    total_minor: i64,
    item_count: i64,
    created_at: DateTime<Utc>,
}

impl From<SummaryRow> for OrderSummary {
    fn from(r: SummaryRow) -> Self {
        OrderSummary {
            id: r.id,
            number: r.number,
            reference: r.reference,
            status: r.status,
            currency: r.currency,
            total_minor: r.total_minor,
            item_count: r.item_count,
            created_at: r.created_at,
        }
    }
}

/// A page of orders, newest (highest number) first, in one statement.
pub async fn list(
    tx: &mut TenantTx,
    query: &OrderListQuery,
    number: Option<i64>,
    limit: i64,
) -> Result<Vec<OrderSummary>, sqlx::Error> {
    let sql = format!(
        "select {SUMMARY_COLUMNS} from orders o \
         where ($1::text is null or o.status = $1) \
           and ($2::bigint is null or o.number = $2) \
           and ($3::bigint is null or o.number < $3) \
         order by o.number desc limit $4"
    );
    let rows: Vec<SummaryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(query.status)
        .bind(number)
        .bind(query.before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    Ok(rows.into_iter().map(OrderSummary::from).collect())
}

/// An order's row as stored.
#[derive(sqlx::FromRow)]
pub struct OrderRow {
    /// Id.
    pub id: OrderId,
    /// Number.
    pub number: i64,
    /// Prefix and number.
    pub reference: String,
    /// Status.
    pub status: OrderStatus,
    /// Currency.
    pub currency: Currency,
    /// Sum of lines.
    pub subtotal_minor: i64,
    /// Shipping.
    pub shipping_minor: i64,
    /// Tax.
    pub tax_minor: i64,
    /// Total.
    pub total_minor: i64,
    /// Refunded.
    pub refunded_minor: i64,
    /// Tax rate.
    pub tax_rate_bp: i32,
    /// Tax included.
    pub tax_inclusive: bool,
    /// Shipping rate name.
    pub shipping_rate_name: Option<String>,
    /// Sealed contact; none once erased.
    pub contact_sealed: Option<Vec<u8>>,
    /// Sealed address.
    pub shipping_sealed: Option<Vec<u8>>,
    /// Buyer's address; none once erased.
    pub buyer_ip: Option<std::net::IpAddr>,
    /// When the buyer's details were erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// Hold.
    pub hold_until: DateTime<Utc>,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// Items.
    pub item_count: i64,
}

const ROW_COLUMNS: &str = "o.id, o.number, o.reference, o.status, o.currency, o.subtotal_minor, \
     o.shipping_minor, o.tax_minor, o.total_minor, o.refunded_minor, o.tax_rate_bp, \
     o.tax_inclusive, o.shipping_rate_name, o.contact_sealed, o.shipping_sealed, o.buyer_ip, \
     o.erased_at, o.hold_until, o.created_at, \
     (select coalesce(sum(l.quantity), 0)::bigint from order_lines l where l.order_id = o.id) \
         as item_count";

/// One order by id.
pub async fn find(tx: &mut TenantTx, id: OrderId) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("select {ROW_COLUMNS} from orders o where o.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// One order by its public code.
pub async fn find_by_code(tx: &mut TenantTx, code: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    let sql = format!("select {ROW_COLUMNS} from orders o where o.public_code = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut *tx)
        .await
}

/// An order's lines, in order.
pub async fn lines(tx: &mut TenantTx, id: OrderId) -> Result<Vec<OrderLine>, sqlx::Error> {
    let rows: Vec<(VariantId, String, String, String, i32, i64, i64)> = sqlx::query_as(
        "select variant_id, sku, product_title, variant_title, quantity, unit_price_minor, \
                line_total_minor \
         from order_lines where order_id = $1 order by position",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(variant_id, sku, product_title, variant_title, quantity, unit, total)| OrderLine {
                variant_id,
                sku,
                product_title,
                variant_title,
                quantity: u32::try_from(quantity).unwrap_or(0),
                unit_price_minor: unit,
                line_total_minor: total,
            },
        )
        .collect())
}

/// An order's history, oldest first.
pub async fn events(tx: &mut TenantTx, id: OrderId) -> Result<Vec<OrderEvent>, sqlx::Error> {
    let rows: Vec<(String, String, serde_json::Value, DateTime<Utc>)> = sqlx::query_as(
        "select kind, actor, detail, at from order_events where order_id = $1 order by seq",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, actor, detail, at)| OrderEvent {
            kind,
            actor,
            detail,
            at,
        })
        .collect())
}

/// An order's status, locking the order until the transaction ends.
pub async fn status_for_update(
    tx: &mut TenantTx,
    id: OrderId,
) -> Result<Option<OrderStatus>, sqlx::Error> {
    sqlx::query_scalar("select status from orders where id = $1 for update")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Unpaid orders whose hold ran out, locked (others running the sweep skip them).
pub async fn lapsed_holds(tx: &mut TenantTx, limit: i64) -> Result<Vec<OrderId>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from orders where status = 'pending_payment' and hold_until < now() \
         order by hold_until limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Sets an order's status.
pub async fn set_status(
    tx: &mut TenantTx,
    id: OrderId,
    status: OrderStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("update orders set status = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Adds a refund to the order's refunded amount; refunded in full, the order is
/// `refunded`.
pub async fn add_refunded(tx: &mut TenantTx, id: OrderId, amount: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set refunded_minor = refunded_minor + $2, \
             status = case when refunded_minor + $2 = total_minor then 'refunded' else status end, \
             updated_at = now() \
         where id = $1",
    )
    .bind(id)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records how a paid order left.
pub async fn set_shipped(
    tx: &mut TenantTx,
    id: OrderId,
    carrier: &str,
    tracking_number: &str,
    tracking_url: Option<&str>,
    shipment_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set status = 'shipped', carrier = $2, tracking_number = $3, \
             tracking_url = $4, shipment_id = $5, shipped_at = now(), updated_at = now() \
         where id = $1 and status = 'paid'",
    )
    .bind(id)
    .bind(carrier)
    .bind(tracking_number)
    .bind(tracking_url)
    .bind(shipment_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that a shipped order arrived.
pub async fn set_delivered(tx: &mut TenantTx, id: OrderId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update orders set status = 'delivered', delivered_at = now(), updated_at = now() \
         where id = $1 and status = 'shipped'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ShipmentRow {
    carrier: String,
    tracking_number: String,
    tracking_url: Option<String>,
    shipped_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

/// How the order travels, once shipped.
pub async fn shipment(
    tx: &mut TenantTx,
    id: OrderId,
) -> Result<Option<platform_orders_api::ShipmentView>, sqlx::Error> {
    let row: Option<ShipmentRow> = sqlx::query_as(
        "select carrier, tracking_number, tracking_url, shipped_at, delivered_at \
         from orders where id = $1 and shipped_at is not null",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| platform_orders_api::ShipmentView {
        carrier: r.carrier,
        tracking_number: r.tracking_number,
        tracking_url: r.tracking_url,
        shipped_at: r.shipped_at,
        delivered_at: r.delivered_at,
    }))
}
