//! Visitors' data requests (O13, O14) as the merchant handles them, through the orders
//! service that keeps them: the list with deadlines, one request with the requester's
//! details and the orders held under their email, and the answers (export, correction,
//! erasure, extension, refusal). Owners and customer service handle requests; erasure
//! needs a fresh password and code. Every read of a requester's details and every answer
//! is written to the audit log first.

use chrono::NaiveDate;
use platform_domain::{DataClass, OrderId, Permission, RequestId, RequestKind};
use platform_orders_api::{
    Address, Contact, CorrectOrder, ExtendRequest, OpenRequest, RequestAction, RequestDetail,
    RequestList, RequestSummary,
};

use crate::app::AppState;
use crate::app::audit::{self, Entry};
use crate::app::orders::{client, failed, require};
use crate::app::staff::{Staff, require_fresh};
use crate::error::ApiError;

/// Why staff read requesters' data, as the audit log says.
const PURPOSE: &str = "data-subject request";

/// An answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Send the export (access).
    Export,
    /// Erase the requester (erasure).
    Erase,
    /// The correction is done.
    Complete,
    /// Refuse, with a reason.
    Refuse,
}

impl Answer {
    /// The step as the orders service names it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "export" => Some(Answer::Export),
            "erase" => Some(Answer::Erase),
            "complete" => Some(Answer::Complete),
            "refuse" => Some(Answer::Refuse),
            _ => None,
        }
    }

    fn step(self) -> &'static str {
        match self {
            Answer::Export => "export",
            Answer::Erase => "erase",
            Answer::Complete => "complete",
            Answer::Refuse => "refuse",
        }
    }
}

/// The objects a request's detail shows: the request and the orders held.
fn objects(detail: &RequestDetail) -> Vec<String> {
    std::iter::once(format!("request:{}", detail.summary.id))
        .chain(detail.orders.iter().map(|o| format!("order:{}", o.id)))
        .collect()
}

async fn log_change(
    state: &AppState,
    staff: &Staff,
    action: &str,
    objects: Vec<String>,
    classes: Vec<DataClass>,
) -> Result<(), ApiError> {
    audit::record_read(
        state,
        staff,
        Entry {
            action,
            objects,
            classes,
            purpose: PURPOSE,
        },
    )
    .await
}

/// The shop's requests, newest first (no personal data).
pub async fn list(state: &AppState, staff: &Staff) -> Result<RequestList, ApiError> {
    require(staff, Permission::HandleRequests)?;
    client(state)?.requests(staff.tenant).await.map_err(failed)
}

/// One request with the requester's details, logged before it is shown.
pub async fn detail(
    state: &AppState,
    staff: &Staff,
    id: RequestId,
) -> Result<RequestDetail, ApiError> {
    require(staff, Permission::HandleRequests)?;
    let detail = client(state)?
        .request(staff.tenant, id)
        .await
        .map_err(failed)?;
    audit::record_read(
        state,
        staff,
        Entry {
            action: "request.view",
            objects: objects(&detail),
            classes: vec![DataClass::Contact, DataClass::Shipping, DataClass::Activity],
            purpose: PURPOSE,
        },
    )
    .await?;
    Ok(detail)
}

/// A request opened for a visitor who asked by phone or letter and whom `staff` identified.
pub async fn open(
    state: &AppState,
    staff: &Staff,
    kind: RequestKind,
    email: &str,
    details: &str,
) -> Result<RequestSummary, ApiError> {
    require(staff, Permission::HandleRequests)?;
    let opened = client(state)?
        .open_request(
            staff.tenant,
            &OpenRequest {
                staff_id: staff.staff_id,
                kind,
                email: email.to_owned(),
                details: details.to_owned(),
            },
        )
        .await
        .map_err(failed)?;
    log_change(
        state,
        staff,
        "request.open",
        vec![format!("request:{}", opened.id)],
        Vec::new(),
    )
    .await?;
    Ok(opened)
}

/// Answers a request. Erasure asks for a fresh password and code first.
pub async fn answer(
    state: &AppState,
    staff: &Staff,
    id: RequestId,
    answer: Answer,
    text: &str,
) -> Result<RequestDetail, ApiError> {
    require(staff, Permission::HandleRequests)?;
    if answer == Answer::Erase {
        require_fresh(state, staff)?;
    }
    let detail = client(state)?
        .act_on_request(
            staff.tenant,
            id,
            answer.step(),
            &RequestAction {
                staff_id: staff.staff_id,
                text: text.to_owned(),
            },
        )
        .await
        .map_err(failed)?;
    let classes = match answer {
        // The export holds everything the shop has about them.
        Answer::Export => DataClass::ALL.to_vec(),
        _ => Vec::new(),
    };
    log_change(
        state,
        staff,
        &format!("request.{}", answer.step()),
        vec![format!("request:{id}")],
        classes,
    )
    .await?;
    Ok(detail)
}

/// More time, once, with a reason the requester receives.
pub async fn extend(
    state: &AppState,
    staff: &Staff,
    id: RequestId,
    until: &str,
    reason: &str,
) -> Result<RequestDetail, ApiError> {
    require(staff, Permission::HandleRequests)?;
    let until: NaiveDate = until.trim().parse().map_err(|_| ApiError::OrdersRefused {
        code: platform_orders_api::ErrorCode::ExtensionInvalid,
        message: "Please give the new deadline as a date (YYYY-MM-DD).".to_owned(),
        field: Some("until".to_owned()),
    })?;
    let detail = client(state)?
        .extend_request(
            staff.tenant,
            id,
            &ExtendRequest {
                staff_id: staff.staff_id,
                until,
                reason: reason.to_owned(),
            },
        )
        .await
        .map_err(failed)?;
    log_change(
        state,
        staff,
        "request.extend",
        vec![format!("request:{id}")],
        Vec::new(),
    )
    .await?;
    Ok(detail)
}

/// Corrects the buyer's details on one order, as a correction request asks (an audited
/// change naming the classes it touched).
pub async fn correct(
    state: &AppState,
    staff: &Staff,
    order: OrderId,
    contact: Contact,
    shipping: Option<Address>,
) -> Result<(), ApiError> {
    require(staff, Permission::HandleRequests)?;
    let classes = if shipping.is_some() {
        vec![DataClass::Contact, DataClass::Shipping]
    } else {
        vec![DataClass::Contact]
    };
    client(state)?
        .correct_order(
            staff.tenant,
            order,
            &CorrectOrder {
                staff_id: staff.staff_id,
                contact,
                shipping,
            },
        )
        .await
        .map_err(failed)?;
    log_change(
        state,
        staff,
        "order.correct",
        vec![format!("order:{order}")],
        classes,
    )
    .await
}

/// A request near its deadline.
#[derive(sqlx::FromRow)]
struct Due {
    id: uuid::Uuid,
    kind: RequestKind,
    deadline: NaiveDate,
}

/// Mails the owners of `shop` about open requests whose deadline is at most
/// [`platform_domain::REQUEST_REMINDER_DAYS`] days away, and again on the day before it
/// (the mail names the kind and the deadline, never the requester).
pub async fn send_reminders(
    state: &AppState,
    mailer: &platform_mail::Mailer,
    shop: platform_tenancy::TenantId,
) -> Result<u64, ApiError> {
    let now = state.clock.now();
    let today = now.date_naive();
    let mut tx = state.db.begin(shop).await?;
    let due: Vec<Due> = sqlx::query_as(
        "select id, kind, coalesce(extended_to, due_on) as deadline from privacy_requests \
         where status = 'open' and ( \
             (reminded_at is null and coalesce(extended_to, due_on) <= $1::date + $2::int) \
          or (coalesce(extended_to, due_on) <= $1::date + 1 \
              and reminded_at < (coalesce(extended_to, due_on) - 1)::timestamptz)) \
         order by deadline limit 50",
    )
    .bind(today)
    .bind(platform_domain::REQUEST_REMINDER_DAYS as i32)
    .fetch_all(&mut tx)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let owners = crate::app::team::owner_addresses(state, &mut tx).await?;
    let shop_name = crate::db::shops::get(&mut tx).await?.display_name;
    let mut sent = 0;
    for r in due {
        let left = (r.deadline - today).num_days();
        let when = match left {
            n if n < 0 => format!("was due on {} ({} days ago)", r.deadline, -n),
            0 => format!("is due today, {}", r.deadline),
            1 => format!("is due tomorrow, {}", r.deadline),
            n => format!("is due on {} ({n} days left)", r.deadline),
        };
        let subject = format!("A data request {when}");
        let body = format!(
            "A visitor's request for {} at {shop_name} {when}. The law requires an answer by then, or an extension with a reason sent before it.\n\nOpen it: {}/requests/{}\n",
            match r.kind {
                RequestKind::Access => "a copy of their data",
                RequestKind::Correction => "a correction of their data",
                RequestKind::Erasure => "the erasure of their data",
            },
            state.console_url.trim_end_matches('/'),
            r.id
        );
        let mut outcome = Ok(());
        for (i, to) in owners.iter().enumerate() {
            outcome = mailer
                .send(platform_mail::Outgoing {
                    message_id: format!("<{}.{}.{i}@requests.tenant-admin>", r.id, today),
                    from_name: &shop_name,
                    to,
                    subject: subject.clone(),
                    body: body.clone(),
                    list_unsubscribe: None,
                })
                .await;
            if outcome.is_err() {
                break;
            }
        }
        match outcome {
            Ok(()) => {
                sqlx::query("update privacy_requests set reminded_at = $2 where id = $1")
                    .bind(r.id)
                    .bind(now)
                    .execute(&mut tx)
                    .await?;
                sent += 1;
            }
            // Tried again on the next round.
            Err(e) => tracing::warn!(tenant_id = %shop, error = %e, "request reminder not sent"),
        }
    }
    tx.commit().await?;
    Ok(sent)
}
