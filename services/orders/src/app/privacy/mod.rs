//! Data-subject requests (O13, O14): a visitor asks on the shop's privacy page and
//! confirms by an emailed single-use link (24 hours) before anything is shown or done;
//! the answer to the visitor is the same whether or not the shop knows the address. The
//! merchant handles confirmed requests by their GDPR Art. 12(3) deadline: sends the
//! export, corrects, erases (with a signed certificate), extends once with a reason, or
//! refuses with one. Staff may open a request on a visitor's behalf.
//!
//! The requester's email is sealed under the request's own subject key and looked up by
//! the same blind index as the orders' emails, so "their data" is every order placed with
//! that address.

mod erasure;
mod export;
pub mod mail;
mod retention;

use chrono::{NaiveDate, Utc};
use platform_auth::Token;
use platform_domain::contact::{is_plausible_email, normalised_email};
use platform_domain::{Deadline, OrderId, RequestId, RequestKind, RequestStatus, StaffId};
use platform_orders_api::{
    Address, ConfirmedRequest, Contact, CorrectOrder, ErasureCertificate, ErrorCode, ExtendRequest,
    HeldOrder, OpenRequest, RequestAction, RequestDetail, RequestList, RequestSummary,
    SubmitRequest,
};
use platform_tenancy::{TenantId, TenantTx};
use uuid::Uuid;

use super::{CONTACT_FIELD, EMAIL_INDEX, Orders, SHIPPING_FIELD};
use crate::db::{self, privacy::RequestRow};
use crate::error::OrdersError;

type Result<T> = std::result::Result<T, OrdersError>;

/// Vault contexts of a request's sealed fields.
const EMAIL_FIELD: &str = "privacy.email";
const DETAILS_FIELD: &str = "privacy.details";
const TOKEN_FIELD: &str = "privacy.token";

/// At most this many unconfirmed requests per address and day; more are answered the
/// same way but send nothing (nobody floods an inbox through the shop).
const UNCONFIRMED_PER_DAY: i64 = 3;
/// Longest text of a correction, a refusal or a note.
const MAX_TEXT: usize = 2000;

/// The SHA-256 a presented token is stored as; none for text that is no token of ours.
pub(crate) fn hash_of(token: &str) -> Option<Vec<u8>> {
    Token::parse(token.trim()).map(|t| t.digest())
}

fn invalid(field: &'static str, message: impl Into<String>) -> OrdersError {
    OrdersError::refused_at(ErrorCode::RequestInvalid, field, message)
}

fn state(message: impl Into<String>) -> OrdersError {
    OrdersError::refused(ErrorCode::RequestState, message)
}

fn email_of(text: &str) -> Result<String> {
    let email = text.trim();
    if email.len() > 254 || !is_plausible_email(email) {
        return Err(invalid(
            "email",
            "Please give the email address you use with this shop.",
        ));
    }
    Ok(email.to_owned())
}

fn details_of(kind: RequestKind, text: &str) -> Result<Option<String>> {
    let text = text.trim();
    match kind {
        RequestKind::Correction if text.is_empty() => Err(invalid(
            "details",
            "Please say what is wrong and what it should be.",
        )),
        RequestKind::Correction if text.chars().count() > MAX_TEXT => Err(invalid(
            "details",
            "Please keep the correction under 2000 characters.",
        )),
        RequestKind::Correction => Ok(Some(text.to_owned())),
        // Only a correction needs words; anything typed with another kind is not kept.
        _ => Ok(None),
    }
}

/// Today, as the deadlines count (UTC).
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

impl Orders {
    /// A visitor's request: sealed, unconfirmed, with a link mailed to the address. The
    /// same empty answer for every well-formed request.
    pub async fn submit_request(&self, tenant: TenantId, request: SubmitRequest) -> Result<()> {
        let email = email_of(&request.email)?;
        let details = details_of(request.kind, &request.details)?;
        let mut tx = self.db.begin(tenant).await?;
        let index = self
            .vault
            .blind_index(&mut tx, EMAIL_INDEX, &normalised_email(&email))
            .await?;
        if db::privacy::recent_unconfirmed(&mut tx, &index).await? >= UNCONFIRMED_PER_DAY {
            tx.commit().await?;
            tracing::info!(tenant_id = %tenant, "request not sent: too many unconfirmed for one address");
            return Ok(());
        }
        let token = Token::generate();
        let id = RequestId::random();
        self.insert_request(
            &mut tx,
            id,
            request.kind,
            &email,
            details,
            None,
            Some(&token),
        )
        .await?;
        db::privacy::enqueue(&mut tx, id, mail::VERIFY).await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, request_id = %id, kind = %request.kind, "request received, awaiting confirmation");
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_request(
        &self,
        tx: &mut TenantTx,
        id: RequestId,
        kind: RequestKind,
        email: &str,
        details: Option<String>,
        opened_by: Option<StaffId>,
        verify: Option<&Token>,
    ) -> Result<()> {
        let subject = Uuid::new_v4();
        let index = self
            .vault
            .blind_index(tx, EMAIL_INDEX, &normalised_email(email))
            .await?;
        let email_sealed = self
            .vault
            .seal_for_subject(tx, subject, EMAIL_FIELD, email.as_bytes())
            .await?;
        let details_sealed = match &details {
            Some(text) => Some(
                self.vault
                    .seal_for_subject(tx, subject, DETAILS_FIELD, text.as_bytes())
                    .await?,
            ),
            None => None,
        };
        let token_sealed = match verify {
            Some(token) => Some(
                self.vault
                    .seal_for_subject(tx, subject, TOKEN_FIELD, token.as_str().as_bytes())
                    .await?,
            ),
            None => None,
        };
        db::privacy::insert(
            tx,
            &db::privacy::NewRequest {
                id,
                kind,
                opened_by: opened_by.map(|s| s.as_uuid()),
                subject_id: subject,
                email_index: index,
                email_sealed: email_sealed.as_bytes(),
                details_sealed: details_sealed.as_ref().map(|s| s.as_bytes()),
                verify: verify
                    .zip(token_sealed.as_ref())
                    .map(|(token, sealed)| (token.digest(), sealed.as_bytes())),
                due_on: opened_by
                    .and_then(|_| Deadline::for_request(today()))
                    .map(|d| d.due),
            },
        )
        .await?;
        Ok(())
    }

    /// The visitor confirms by the emailed token; the deadline starts today.
    pub async fn confirm_request(&self, tenant: TenantId, token: &str) -> Result<ConfirmedRequest> {
        let link_invalid = || {
            OrdersError::refused(
                ErrorCode::LinkInvalid,
                "This link is not valid any more: it was used, or more than 24 hours passed. \
                 Please ask again on the shop's privacy page.",
            )
        };
        let hash = hash_of(token).ok_or_else(link_invalid)?;
        let mut tx = self.db.begin(tenant).await?;
        let confirmed = db::privacy::confirm(&mut tx, &hash).await?;
        tx.commit().await?;
        let (id, kind, due_on) = confirmed.ok_or_else(link_invalid)?;
        tracing::info!(tenant_id = %tenant, request_id = %id, "request confirmed");
        Ok(ConfirmedRequest { kind, due_on })
    }

    /// A request a member of staff opens for a visitor they identified: open at once.
    pub async fn open_request(
        &self,
        tenant: TenantId,
        request: OpenRequest,
    ) -> Result<RequestSummary> {
        let email = email_of(&request.email)?;
        let details = details_of(request.kind, &request.details)?;
        let mut tx = self.db.begin(tenant).await?;
        let id = RequestId::random();
        self.insert_request(
            &mut tx,
            id,
            request.kind,
            &email,
            details,
            Some(request.staff_id),
            None,
        )
        .await?;
        let row = self.locked(&mut tx, id).await?;
        tx.commit().await?;
        Ok(row.summary())
    }

    /// The shop's confirmed requests.
    pub async fn requests(&self, tenant: TenantId) -> Result<RequestList> {
        let mut tx = self.db.begin(tenant).await?;
        let rows = db::privacy::list(&mut tx).await?;
        tx.commit().await?;
        Ok(RequestList {
            requests: rows.iter().map(RequestRow::summary).collect(),
        })
    }

    async fn locked(&self, tx: &mut TenantTx, id: RequestId) -> Result<RequestRow> {
        match db::privacy::find_for_update(tx, id).await? {
            Some(row) if row.status != RequestStatus::Unverified => Ok(row),
            _ => Err(OrdersError::refused(
                ErrorCode::RequestNotFound,
                "There is no such request.",
            )),
        }
    }

    /// The requester's email, once opened; none once erased.
    async fn requester_email(&self, tx: &mut TenantTx, row: &RequestRow) -> Result<Option<String>> {
        self.open_text(tx, EMAIL_FIELD, row.email_sealed.as_deref())
            .await
    }

    pub(crate) async fn open_text(
        &self,
        tx: &mut TenantTx,
        field: &str,
        sealed: Option<&[u8]>,
    ) -> Result<Option<String>> {
        let Some(bytes) = sealed else {
            return Ok(None);
        };
        let sealed = platform_vault::Sealed::from_bytes(bytes.to_vec())?;
        match self.vault.open(tx, field, &sealed).await {
            Ok(plain) => Ok(Some(String::from_utf8_lossy(&plain).into_owned())),
            Err(platform_vault::VaultError::KeyDestroyed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One request with the requester's email, what they asked and the orders the shop
    /// holds under that email.
    pub async fn request(&self, tenant: TenantId, id: RequestId) -> Result<RequestDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let detail = self.detail_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(detail)
    }

    async fn detail_in(&self, tx: &mut TenantTx, id: RequestId) -> Result<RequestDetail> {
        let row = self.locked(tx, id).await?;
        let email = self.requester_email(tx, &row).await?;
        let details = self
            .open_text(tx, DETAILS_FIELD, row.details_sealed.as_deref())
            .await?;
        let mut orders = Vec::new();
        if let Some(index) = &row.email_index {
            for held in db::subjects::orders_of(tx, index).await? {
                let contact: Option<Contact> = match &held.contact_sealed {
                    Some(bytes) => self.open(tx, CONTACT_FIELD, bytes).await?,
                    None => None,
                };
                let shipping: Option<Address> = match &held.shipping_sealed {
                    Some(bytes) => self.open(tx, SHIPPING_FIELD, bytes).await?,
                    None => None,
                };
                orders.push(HeldOrder {
                    id: held.id,
                    reference: held.reference,
                    status: held.status,
                    placed_at: held.created_at,
                    contact,
                    shipping,
                });
            }
        }
        let export_expires_at = db::privacy::latest_export(tx, id)
            .await?
            .map(|(_, _, expires)| expires);
        let certificate: Option<ErasureCertificate> = match &row.certificate {
            Some(value) => Some(serde_json::from_value(value.clone())?),
            None => None,
        };
        Ok(RequestDetail {
            summary: row.summary(),
            email,
            details,
            extension_reason: row.extension_reason,
            outcome: row.outcome,
            orders,
            export_expires_at,
            certificate,
        })
    }

    /// More time, once: before the first deadline, to at most three months after the
    /// request was confirmed, with a reason the requester is sent.
    pub async fn extend_request(
        &self,
        tenant: TenantId,
        id: RequestId,
        extension: ExtendRequest,
    ) -> Result<RequestDetail> {
        let reason = extension.reason.trim();
        let mut tx = self.db.begin(tenant).await?;
        let row = self.locked(&mut tx, id).await?;
        let (Some(due), Some(verified)) = (row.due_on, row.verified_at) else {
            return Err(state("Only a confirmed request has a deadline."));
        };
        if row.status != RequestStatus::Open {
            return Err(state("This request is closed."));
        }
        if row.extended_to.is_some() {
            return Err(state("A request's deadline can be extended only once."));
        }
        if today() > due {
            return Err(state(
                "The deadline has passed: an extension must be sent before it.",
            ));
        }
        let limit = Deadline::for_request(verified.date_naive())
            .map(|d| d.extended_limit)
            .unwrap_or(due);
        if extension.until <= due || extension.until > limit {
            return Err(OrdersError::refused_at(
                ErrorCode::ExtensionInvalid,
                "until",
                format!(
                    "The new deadline must be after {due} and no later than {limit} (two further months)."
                ),
            ));
        }
        if !(10..=1000).contains(&reason.chars().count()) {
            return Err(OrdersError::refused_at(
                ErrorCode::ExtensionInvalid,
                "reason",
                "Please give the requester a reason of 10 to 1000 characters.",
            ));
        }
        db::privacy::extend(&mut tx, id, extension.until, reason).await?;
        db::privacy::enqueue(&mut tx, id, mail::EXTENDED).await?;
        let detail = self.detail_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Refuses an open request with a reason the requester is sent (Art. 12(4)).
    pub async fn refuse_request(
        &self,
        tenant: TenantId,
        id: RequestId,
        action: RequestAction,
    ) -> Result<RequestDetail> {
        let reason = action.text.trim();
        if !(10..=MAX_TEXT).contains(&reason.chars().count()) {
            return Err(invalid(
                "text",
                "Please give the requester a reason of 10 to 2000 characters.",
            ));
        }
        self.close(
            tenant,
            id,
            None,
            action.staff_id,
            RequestStatus::Refused,
            Some(reason),
            mail::REFUSED,
        )
        .await
    }

    /// Completes a correction request, once the orders are corrected, with a note.
    pub async fn complete_correction(
        &self,
        tenant: TenantId,
        id: RequestId,
        action: RequestAction,
    ) -> Result<RequestDetail> {
        let note = action.text.trim();
        if note.chars().count() > MAX_TEXT {
            return Err(invalid(
                "text",
                "Please keep the note under 2000 characters.",
            ));
        }
        let note = (!note.is_empty()).then_some(note);
        self.close(
            tenant,
            id,
            Some(RequestKind::Correction),
            action.staff_id,
            RequestStatus::Completed,
            note,
            mail::COMPLETED,
        )
        .await
    }

    /// Closes an open request (of `kind`, when given) and tells the requester.
    #[allow(clippy::too_many_arguments)]
    async fn close(
        &self,
        tenant: TenantId,
        id: RequestId,
        kind: Option<RequestKind>,
        staff: StaffId,
        status: RequestStatus,
        outcome: Option<&str>,
        mail_kind: &str,
    ) -> Result<RequestDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let row = self.locked(&mut tx, id).await?;
        open_of_kind(&row, kind)?;
        db::privacy::close(&mut tx, id, status, staff.as_uuid(), outcome, None).await?;
        db::privacy::enqueue(&mut tx, id, mail_kind).await?;
        let detail = self.detail_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// Corrects the buyer's details on one order (an audited change: the console records
    /// who did it). The email's blind index follows the new address.
    pub async fn correct_order(
        &self,
        tenant: TenantId,
        order: OrderId,
        correction: CorrectOrder,
    ) -> Result<()> {
        let mut tx = self.db.begin(tenant).await?;
        let fields = db::catalog::settings(&mut tx).await?.fields;
        let row = db::orders::find(&mut tx, order)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let had_address = row.shipping_sealed.is_some();
        let details = super::buyer::check(
            &fields,
            correction.contact,
            correction.shipping.filter(|_| had_address),
        )?;
        let subject = db::subjects::subject_of(&mut tx, order)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let sealed = self.seal(&mut tx, subject, &details).await?;
        if let Some((_, country)) = &details.shipping {
            db::subjects::set_country(&mut tx, order, country.as_str()).await?;
        }
        let corrected = db::subjects::correct(
            &mut tx,
            order,
            sealed.contact.as_bytes(),
            sealed.email_index.as_ref().map(|i| &i[..]),
            sealed.shipping.as_ref().map(|s| s.as_bytes()),
        )
        .await?;
        if !corrected {
            return Err(state("This order's details were erased."));
        }
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, order_id = %order, "buyer's details corrected");
        Ok(())
    }

    /// Queues the notice of a material change to policy `version` to every buyer.
    pub async fn policy_notices(&self, tenant: TenantId, version: i32) -> Result<i64> {
        if version < 1 {
            return Err(invalid("version", "A policy version is a positive number."));
        }
        let mut tx = self.db.begin(tenant).await?;
        let queued = db::outbox::enqueue_policy_notices(&mut tx, version).await?
            + db::subscriptions::enqueue_policy_notices(&mut tx, version).await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, version, queued, "policy change notices queued");
        Ok(i64::try_from(queued).unwrap_or(i64::MAX))
    }

    /// On each sweep: requests and subscriptions nobody confirmed in time are deleted and
    /// their keys destroyed; expired exports are deleted.
    pub async fn purge_requests(&self, tenant: TenantId) -> Result<(u64, u64)> {
        let mut tx = self.db.begin(tenant).await?;
        let unconfirmed = db::privacy::purge_unconfirmed(&mut tx).await?;
        for subject in &unconfirmed {
            self.vault.shred_subject(&mut tx, *subject).await?;
        }
        let exports = db::privacy::purge_exports(&mut tx).await?;
        self.purge_unconfirmed_subscriptions(&mut tx).await?;
        self.purge_expired_consents(&mut tx).await?;
        tx.commit().await?;
        Ok((unconfirmed.len() as u64, exports))
    }
}

/// The request is open, and of `kind` when one is named.
fn open_of_kind(row: &RequestRow, kind: Option<RequestKind>) -> Result<()> {
    if row.status != RequestStatus::Open {
        return Err(state("This request is closed."));
    }
    match kind {
        Some(k) if k != row.kind => Err(state(format!(
            "This is a request for {}; answer it that way.",
            match row.kind {
                RequestKind::Access => "a copy of the data",
                RequestKind::Correction => "a correction",
                RequestKind::Erasure => "erasure",
            }
        ))),
        _ => Ok(()),
    }
}
