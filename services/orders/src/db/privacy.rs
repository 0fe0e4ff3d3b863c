//! Data-subject requests and the exports that answer access requests: their rows, their
//! confirmation and link tokens (only SHA-256 kept), their mail.

use chrono::{DateTime, NaiveDate, Utc};
use platform_domain::{RequestId, RequestKind, RequestSource, RequestStatus};
use platform_orders_api::{ExportedRequest, RequestSummary};
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
    pub verify: Option<(Vec<u8>, &'a [u8])>,
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
    .bind(r.verify.as_ref().map(|(hash, _)| hash.as_slice()))
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
