//! A person's rows across the shop (found by the blind index of their email): their
//! orders, the mail they were sent and who read their data, for exports; and erasure,
//! the one function that strips them and the ledger that makes restores do it again.

use chrono::{DateTime, Utc};
use platform_domain::{OrderId, OrderStatus, RequestId};
use platform_orders_api::{ExportedMail, ExportedRead};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// An order held under an email, with what an export or erasure needs.
#[derive(sqlx::FromRow)]
pub struct HeldRow {
    /// Id.
    pub id: OrderId,
    /// Its number as shown.
    pub reference: String,
    /// Status.
    pub status: OrderStatus,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// The buyer as a data subject.
    pub subject_id: Uuid,
    /// Sealed contact.
    pub contact_sealed: Option<Vec<u8>>,
    /// Sealed address.
    pub shipping_sealed: Option<Vec<u8>>,
    /// The destination country, once known.
    pub country: Option<String>,
}

/// The orders placed with this email and not erased, oldest first.
pub async fn orders_of(tx: &mut TenantTx, email_index: &[u8]) -> Result<Vec<HeldRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, reference, status, created_at, subject_id, contact_sealed, shipping_sealed, \
                country \
         from orders where email_index = $1 and erased_at is null order by created_at, id",
    )
    .bind(email_index)
    .fetch_all(&mut *tx)
    .await
}

/// Records an order's destination country before its address is erased.
pub async fn set_country(tx: &mut TenantTx, id: OrderId, country: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update orders set country = $2 where id = $1 and country is null")
        .bind(id)
        .bind(country)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Replaces an order's sealed contact and address (a correction).
pub async fn correct(
    tx: &mut TenantTx,
    id: OrderId,
    contact: &[u8],
    email_index: Option<&[u8]>,
    shipping: Option<&[u8]>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update orders set contact_sealed = $2, email_index = $3, \
             shipping_sealed = coalesce($4, shipping_sealed) \
         where id = $1 and erased_at is null",
    )
    .bind(id)
    .bind(contact)
    .bind(email_index)
    .bind(shipping)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Erases the people `subjects` in every table (the `erase_subjects` function) and
/// records them in the erasure ledger, which restores re-apply. Returns the rows changed.
pub async fn erase(tx: &mut TenantTx, subjects: &[Uuid]) -> Result<i64, sqlx::Error> {
    if subjects.is_empty() {
        return Ok(0);
    }
    let changed: i64 = sqlx::query_scalar("select erase_subjects($1)")
        .bind(subjects)
        .fetch_one(&mut *tx)
        .await?;
    // The ledger numbers its rows per shop: the shop's ledger lock makes max + 1 safe.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('erasure-ledger:' || $1::text, 0))")
        .bind(tx.tenant())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into ledger.erasure_log (tenant_id, seq, subject_id) \
         select $1, (select coalesce(max(seq), 0) from ledger.erasure_log) + s.n, s.subject \
         from unnest($2::uuid[]) with ordinality as s(subject, n)",
    )
    .bind(tx.tenant())
    .bind(subjects)
    .execute(&mut *tx)
    .await?;
    Ok(changed)
}

/// Service mail sent about these orders (to the buyer) and requests.
pub async fn mails_of(
    tx: &mut TenantTx,
    orders: &[OrderId],
    requests: &[RequestId],
) -> Result<Vec<ExportedMail>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Sent {
        kind: String,
        reference: Option<String>,
        request_id: Option<RequestId>,
        sent_at: DateTime<Utc>,
    }
    let rows: Vec<Sent> = sqlx::query_as(
        "select m.kind, o.reference, m.request_id, m.sent_at \
         from outbox m left join orders o on o.id = m.order_id \
         where m.sent_at is not null and m.last_error is null \
           and ((m.order_id = any($1) and m.kind <> 'order_placed') or m.request_id = any($2)) \
         order by m.sent_at",
    )
    .bind(orders.iter().map(OrderId::as_uuid).collect::<Vec<_>>())
    .bind(requests.iter().map(RequestId::as_uuid).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|m| ExportedMail {
            about: match (m.reference, m.request_id) {
                (Some(r), _) => format!("order {r}"),
                (None, Some(id)) => format!("request {id}"),
                (None, None) => String::new(),
            },
            kind: m.kind,
            sent_at: m.sent_at,
        })
        .collect())
}

/// Staff reads of these objects (`order:<id>`, `request:<id>`) from the audit log.
pub async fn reads_of(
    tx: &mut TenantTx,
    objects: &[String],
) -> Result<Vec<ExportedRead>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Read {
        at: DateTime<Utc>,
        actor_kind: String,
        actor_roles: Vec<String>,
        action: String,
        classes: Vec<String>,
        purpose: String,
    }
    let rows: Vec<Read> = sqlx::query_as(
        "select at, actor_kind, actor_roles, action, classes, purpose from audit.events \
         where objects && $1 and cardinality(classes) > 0 order by seq",
    )
    .bind(objects)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ExportedRead {
            at: r.at,
            who: match r.actor_kind.as_str() {
                "platform" => format!(
                    "platform staff ({}), under a grant the shop approved",
                    r.actor_roles.join(", ")
                ),
                "staff" => format!("shop staff ({})", r.actor_roles.join(", ")),
                _ => "the system".to_owned(),
            },
            action: r.action,
            classes: r.classes,
            purpose: r.purpose,
        })
        .collect())
}

/// The shop's name, published contact address, accounting years and the longest its
/// backups are kept (days).
pub async fn shop_facts(
    tx: &mut TenantTx,
) -> Result<(String, String, i32, i32, Vec<String>), sqlx::Error> {
    sqlx::query_as(
        "select t.display_name, coalesce(s.contact_email, ''), coalesce(s.accounting_years, 10), \
                coalesce(greatest(s.backup_keep_daily, s.backup_keep_weekly * 7, \
                                  s.backup_keep_monthly * 31), 372), \
                t.host_names \
         from tenants t left join store_settings s on s.tenant_id = t.id where t.id = $1",
    )
    .bind(tx.tenant())
    .fetch_one(&mut *tx)
    .await
}

/// The data subject of an order's buyer.
pub async fn subject_of(tx: &mut TenantTx, order: OrderId) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select subject_id from orders where id = $1")
        .bind(order)
        .fetch_optional(&mut *tx)
        .await
}

/// How many of these orders had a payment with card details.
pub async fn count_paid(tx: &mut TenantTx, orders: &[OrderId]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from payments where order_id = any($1) and captured_at is not null",
    )
    .bind(orders.iter().map(OrderId::as_uuid).collect::<Vec<_>>())
    .fetch_one(&mut *tx)
    .await
}

/// Every order of the shop, oldest first (at most 100,000: larger shops export by the
/// backup tooling).
pub async fn all_orders(tx: &mut TenantTx) -> Result<Vec<OrderId>, sqlx::Error> {
    sqlx::query_scalar("select id from orders order by number limit 100000")
        .fetch_all(&mut *tx)
        .await
}

/// Days a cart lives without activity (its sealed checkout draft with it).
pub async fn cart_days(tx: &mut TenantTx) -> Result<i32, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, i32>("select cart_ttl_days from store_settings")
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(30),
    )
}
