//! Data-subject requests, their exports, the erasure function and ledger, and what an
//! export gathers (orders, mail, requests and staff reads of one person).

use chrono::{DateTime, NaiveDate, Utc};
use platform_domain::{OrderId, OrderStatus, RequestId, RequestKind, RequestSource, RequestStatus};
use platform_orders_api::{ExportedMail, ExportedRead, ExportedRequest, RequestSummary};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// A new request's row.
pub struct NewRequest<'a> {
    /// Its id.
    pub id: RequestId,
    /// What is asked.
    pub kind: RequestKind,
    /// The staff member who opened it on the visitor's behalf (none: the visitor).
    pub opened_by: Option<Uuid>,
    /// The requester as a data subject.
    pub subject_id: Uuid,
    /// Blind index of their email.
    pub email_index: [u8; 32],
    /// Their email, sealed.
    pub email_sealed: &'a [u8],
    /// A correction's text, sealed.
    pub details_sealed: Option<&'a [u8]>,
    /// The confirmation token's hash and the token sealed (visitors only).
    pub verify: Option<([u8; 32], &'a [u8])>,
    /// For a request opened by staff: due one calendar month from today.
    pub due_on: Option<NaiveDate>,
}

/// Inserts a request: unconfirmed (with its 24-hour link) from a visitor, open from staff.
pub async fn insert(tx: &mut TenantTx, r: &NewRequest<'_>) -> Result<(), sqlx::Error> {
    let opened = r.opened_by.is_some();
    sqlx::query(
        "insert into privacy_requests (tenant_id, id, kind, source, opened_by, status, \
             subject_id, email_index, email_sealed, details_sealed, verify_hash, \
             verify_token_sealed, verify_until, verified_at, due_on) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             case when $11::bytea is null then null \
                  else now() + make_interval(hours => $13) end, \
             case when $14 then now() end, $15)",
    )
    .bind(tx.tenant())
    .bind(r.id)
    .bind(r.kind)
    .bind(if opened {
        RequestSource::Merchant
    } else {
        RequestSource::Visitor
    })
    .bind(r.opened_by)
    .bind(if opened {
        RequestStatus::Open
    } else {
        RequestStatus::Unverified
    })
    .bind(r.subject_id)
    .bind(&r.email_index[..])
    .bind(r.email_sealed)
    .bind(r.details_sealed)
    .bind(r.verify.as_ref().map(|(hash, _)| &hash[..]))
    .bind(r.verify.as_ref().map(|(_, sealed)| *sealed))
    .bind(platform_domain::REQUEST_LINK_HOURS as i32)
    .bind(opened)
    .bind(r.due_on)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Unconfirmed requests for this address in the last 24 hours.
pub async fn recent_unconfirmed(tx: &mut TenantTx, email_index: &[u8]) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from privacy_requests \
         where email_index = $1 and status = 'unverified' \
           and received_at > now() - interval '24 hours'",
    )
    .bind(email_index)
    .fetch_one(&mut *tx)
    .await
}

/// Confirms the unconfirmed request whose link has this hash, if it still works; returns
/// its id, kind and deadline. The same link pressed again within its 24 hours (a double
/// click, a reload) answers the same and changes nothing.
pub async fn confirm(
    tx: &mut TenantTx,
    hash: &[u8],
) -> Result<Option<(RequestId, RequestKind, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "with confirmed as ( \
             update privacy_requests \
                set status = 'open', verified_at = now(), verify_token_sealed = null, \
                    due_on = ((now() at time zone 'UTC')::date + interval '1 month')::date \
              where verify_hash = $1 and status = 'unverified' and verify_until > now() \
             returning id, kind, due_on) \
         select id, kind, due_on from confirmed \
         union all \
         select id, kind, coalesce(extended_to, due_on) from privacy_requests \
          where verify_hash = $1 and status <> 'unverified' and verify_until > now()",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await
}

/// Deletes requests nobody confirmed before their link expired; returns their subjects
/// (whose keys are then destroyed).
pub async fn purge_unconfirmed(tx: &mut TenantTx) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from privacy_requests \
          where status = 'unverified' and verify_until < now() \
         returning subject_id",
    )
    .fetch_all(&mut *tx)
    .await
}

/// Deletes exports whose link expired; returns how many.
pub async fn purge_exports(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from privacy_exports where expires_at < now()")
            .execute(&mut *tx)
            .await?
            .rows_affected(),
    )
}

/// A request as stored.
#[derive(sqlx::FromRow)]
pub struct RequestRow {
    /// Id.
    pub id: RequestId,
    /// Kind.
    pub kind: RequestKind,
    /// Source.
    pub source: RequestSource,
    /// Status.
    pub status: RequestStatus,
    /// The requester as a data subject.
    pub subject_id: Uuid,
    /// Blind index of their email.
    pub email_index: Option<Vec<u8>>,
    /// Their email, sealed.
    pub email_sealed: Option<Vec<u8>>,
    /// A correction's text, sealed.
    pub details_sealed: Option<Vec<u8>>,
    /// The confirmation token, sealed, until mailed.
    pub verify_token_sealed: Option<Vec<u8>>,
    /// Arrived.
    pub received_at: DateTime<Utc>,
    /// Confirmed.
    pub verified_at: Option<DateTime<Utc>>,
    /// Due.
    pub due_on: Option<NaiveDate>,
    /// Extended to.
    pub extended_to: Option<NaiveDate>,
    /// Why extended.
    pub extension_reason: Option<String>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// What was done or why refused.
    pub outcome: Option<String>,
    /// The signed certificate of an erasure.
    pub certificate: Option<serde_json::Value>,
}

impl RequestRow {
    /// The part anyone handling requests may see.
    pub fn summary(&self) -> RequestSummary {
        RequestSummary {
            id: self.id,
            kind: self.kind,
            source: self.source,
            status: self.status,
            received_at: self.received_at,
            verified_at: self.verified_at,
            due_on: self.due_on,
            extended_to: self.extended_to,
            closed_at: self.closed_at,
        }
    }
}

const REQUEST_COLUMNS: &str = "id, kind, source, status, subject_id, email_index, email_sealed, \
     details_sealed, verify_token_sealed, received_at, verified_at, due_on, extended_to, \
     extension_reason, closed_at, outcome, certificate";

/// One request, locked for the rest of the transaction.
pub async fn find_for_update(
    tx: &mut TenantTx,
    id: RequestId,
) -> Result<Option<RequestRow>, sqlx::Error> {
    let sql = format!("select {REQUEST_COLUMNS} from privacy_requests where id = $1 for update");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// The shop's confirmed requests, newest first (unconfirmed ones are nobody's yet).
pub async fn list(tx: &mut TenantTx) -> Result<Vec<RequestRow>, sqlx::Error> {
    let sql = format!(
        "select {REQUEST_COLUMNS} from privacy_requests where status <> 'unverified' \
         order by received_at desc, id limit 500"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await
}

/// The requests made with this email (for an export, and to erase them too).
pub async fn requests_of(
    tx: &mut TenantTx,
    email_index: &[u8],
) -> Result<Vec<RequestRow>, sqlx::Error> {
    let sql = format!(
        "select {REQUEST_COLUMNS} from privacy_requests \
         where email_index = $1 and status <> 'unverified' order by received_at"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email_index)
        .fetch_all(&mut *tx)
        .await
}

/// Extends an open request's deadline once.
pub async fn extend(
    tx: &mut TenantTx,
    id: RequestId,
    until: NaiveDate,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update privacy_requests set extended_to = $2, extension_reason = $3, extended_at = now() \
         where id = $1",
    )
    .bind(id)
    .bind(until)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Closes a request as completed or refused.
pub async fn close(
    tx: &mut TenantTx,
    id: RequestId,
    status: RequestStatus,
    staff: Uuid,
    outcome: Option<&str>,
    certificate: Option<&serde_json::Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update privacy_requests set status = $2, closed_at = now(), closed_by = $3, \
             outcome = $4, certificate = $5 \
         where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(staff)
    .bind(outcome)
    .bind(certificate)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Forgets the confirmation token once its mail has left.
pub async fn forget_token(tx: &mut TenantTx, id: RequestId) -> Result<(), sqlx::Error> {
    sqlx::query("update privacy_requests set verify_token_sealed = null where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Queues a mail about the request (once per kind).
pub async fn enqueue(tx: &mut TenantTx, request: RequestId, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, request_id) values ($1, $2, $3, $4) \
         on conflict (tenant_id, request_id, kind) do nothing",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(request)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

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

/// A new export of an access request.
pub async fn insert_export(
    tx: &mut TenantTx,
    request: RequestId,
    token_hash: &[u8],
    token_sealed: &[u8],
    document_sealed: &[u8],
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into privacy_exports (tenant_id, id, request_id, token_hash, token_sealed, \
             document_sealed, expires_at) \
         values ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7)) \
         returning expires_at",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(request)
    .bind(token_hash)
    .bind(token_sealed)
    .bind(document_sealed)
    .bind(platform_domain::EXPORT_LINK_DAYS as i32)
    .fetch_one(&mut *tx)
    .await
}

/// The newest export of a request: its id, sealed token (until mailed) and expiry.
pub async fn latest_export(
    tx: &mut TenantTx,
    request: RequestId,
) -> Result<Option<(Uuid, Option<Vec<u8>>, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "select id, token_sealed, expires_at from privacy_exports \
         where request_id = $1 and expires_at > now() order by created_at desc limit 1",
    )
    .bind(request)
    .fetch_optional(&mut *tx)
    .await
}

/// Forgets an export's token once its mail has left.
pub async fn forget_export_token(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update privacy_exports set token_sealed = null where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// An export by its link's hash, while the link works: the requester's subject, the
/// sealed document and the expiry. Marks it opened.
pub async fn open_export(
    tx: &mut TenantTx,
    hash: &[u8],
) -> Result<Option<(Uuid, Vec<u8>, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "update privacy_exports e set opened_at = coalesce(e.opened_at, now()) \
           from privacy_requests r \
          where e.token_hash = $1 and e.expires_at > now() and r.id = e.request_id \
         returning r.subject_id, e.document_sealed, e.expires_at",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await
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

/// The requests made, as an export lists them.
pub fn exported(rows: &[RequestRow]) -> Vec<ExportedRequest> {
    rows.iter()
        .map(|r| ExportedRequest {
            id: r.id,
            kind: r.kind,
            status: r.status,
            received_at: r.received_at,
            closed_at: r.closed_at,
        })
        .collect()
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

/// The shop's retention days for the orders service's classes.
#[derive(sqlx::FromRow)]
pub struct RetentionPolicy {
    /// Contact, delivery and card details after delivery or cancellation.
    pub order_details_days: i32,
    /// Buyer IPs after the order.
    pub buyer_ip_days: i32,
    /// Records of sent mail.
    pub mail_days: i32,
}

/// The shop's retention (the platform's defaults without a settings row).
pub async fn retention_policy(tx: &mut TenantTx) -> Result<RetentionPolicy, sqlx::Error> {
    Ok(sqlx::query_as(
        "select retention_order_details_days as order_details_days, \
                retention_buyer_ip_days as buyer_ip_days, retention_mail_days as mail_days \
         from store_settings",
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(RetentionPolicy {
        order_details_days: 730,
        buyer_ip_days: 90,
        mail_days: 90,
    }))
}

/// Buyers (subjects) of orders delivered or cancelled more than `days` before `now`
/// whose details are still there.
pub async fn stale_order_subjects(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select subject_id from orders \
         where erased_at is null \
           and ((status = 'delivered' and delivered_at < $1 - make_interval(days => $2)) \
             or (status = 'cancelled' and updated_at < $1 - make_interval(days => $2)))",
    )
    .bind(now)
    .bind(days)
    .fetch_all(&mut *tx)
    .await
}

/// Buyer IPs on orders older than `days`: counted, or removed.
pub async fn old_ips(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let sql = if dry_run {
        "select count(*) from orders where buyer_ip is not null \
           and created_at < $1 - make_interval(days => $2)"
    } else {
        "with gone as (update orders set buyer_ip = null where buyer_ip is not null \
           and created_at < $1 - make_interval(days => $2) returning 1) \
         select count(*) from gone"
    };
    sqlx::query_scalar(sql)
        .bind(now)
        .bind(days)
        .fetch_one(&mut *tx)
        .await
}

/// Rows of `from_where` (a table and a condition on `$1`, the moment, and `$2`, days):
/// counted, or deleted.
async fn delete_or_count(
    tx: &mut TenantTx,
    from_where: &'static str,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let sql = if dry_run {
        format!("select count(*) from {from_where}")
    } else {
        format!("with gone as (delete from {from_where} returning 1) select count(*) from gone")
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(days)
        .fetch_one(&mut *tx)
        .await
}

/// Records of mail sent more than `days` before `now`: counted, or deleted.
pub async fn old_mail(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    days: i32,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let outbox = "outbox where sent_at < $1 - make_interval(days => $2)";
    delete_or_count(tx, outbox, now, days, dry_run).await
}

/// Exports whose link expired by `now`: counted, or deleted.
pub async fn expired_exports(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<i64, sqlx::Error> {
    let exports = "privacy_exports where expires_at < $1 - make_interval(days => $2)";
    delete_or_count(tx, exports, now, 0, dry_run).await
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
