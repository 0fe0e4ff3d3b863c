//! Staff mail from the staff outbox (service mail, never promotional): invitations, and
//! the monthly access review to the owners. A row is locked while it is sent and marked
//! in the same transaction; its id is the message's `Message-ID`, so a receiver can drop
//! the rare repeat after a crash. An invitation's sealed token is forgotten as soon as
//! its mail left: from then on only the SHA-256 remains.

use platform_mail::{Mailer, Outgoing, backoff_secs};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::team::INVITE_TOKEN;
use crate::db;
use crate::error::ApiError;

/// Rows one shop sends per round.
const BATCH: i64 = 20;

/// A message, written.
struct Written {
    to: Vec<String>,
    subject: String,
    body: String,
}

/// The invitation's text: who invites into which shop, for which roles, until when.
pub fn invitation_text(
    shop_name: &str,
    roles: &[platform_domain::StaffRole],
    link: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> (String, String) {
    let roles = roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!("You are invited to the staff of {shop_name}"),
        format!(
            "An owner of {shop_name} invited you to join its staff as: {roles}.\n\n\
             Choose your password here (the link works once, until {expires}):\n\n{link}\n\n\
             If you did not expect this, ignore this message: nothing happens without the link.\n",
            expires = expires.format("%Y-%m-%d %H:%M UTC"),
        ),
    )
}

async fn write_invitation(
    state: &AppState,
    tx: &mut TenantTx,
    shop_name: &str,
    invitation: Uuid,
) -> Result<Option<Written>, ApiError> {
    let Some(row) = db::team::invitation(tx, invitation).await? else {
        return Ok(None);
    };
    let (Some(token), None, None) = (row.token_sealed, row.accepted_at, row.revoked_at) else {
        return Ok(None);
    };
    if row.expires_at <= state.clock.now() {
        return Ok(None);
    }
    let token = state
        .vault
        .open(tx, INVITE_TOKEN, &Sealed::from_bytes(token)?)
        .await?;
    let email = state
        .vault
        .open(
            tx,
            "staff_invitations.email",
            &Sealed::from_bytes(row.email_sealed)?,
        )
        .await?;
    let link = format!(
        "{}/invitations/{}.{}",
        state.console_url,
        tx.tenant(),
        String::from_utf8_lossy(&token)
    );
    let roles: Vec<_> = db::staff::role_set(&row.roles).iter().collect();
    let (subject, body) = invitation_text(shop_name, &roles, &link, row.expires_at);
    Ok(Some(Written {
        to: vec![String::from_utf8_lossy(&email).into_owned()],
        subject,
        body,
    }))
}

/// Sends what is due in every shop; returns how many messages left.
pub async fn send_due(state: &AppState, mailer: &Mailer) -> Result<u64, ApiError> {
    let shops: Vec<TenantId> = {
        let mut tx = state.db.platform().await?;
        let shops = sqlx::query_scalar("select id from tenants where status <> 'deleted'")
            .fetch_all(&mut tx)
            .await?;
        tx.commit().await?;
        shops
    };
    let hourly = state.housekeeping_due();
    let mut sent = 0;
    for shop in shops {
        sent += send_shop(state, mailer, shop).await?;
        sent += send_grant_notices(state, mailer, shop).await?;
        if hourly {
            sent += crate::app::requests::send_reminders(state, mailer, shop).await?;
            // One shop's failed run must not stop the others' mail.
            if let Err(e) = crate::app::retention::daily(state, shop).await {
                tracing::warn!(tenant_id = %shop, error = &e as &dyn std::error::Error, "retention run failed");
            }
        }
    }
    Ok(sent)
}

/// Mails the owners about grants to the platform's staff (requested, approved, first
/// use, ended, …), queued by access-control and by this console.
async fn send_grant_notices(
    state: &AppState,
    mailer: &Mailer,
    shop: TenantId,
) -> Result<u64, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.begin(shop).await?;
    let notices = db::access::due_notices(&mut tx, now, BATCH).await?;
    if notices.is_empty() {
        return Ok(0);
    }
    let shop_name = db::shops::get(&mut tx).await?.display_name;
    let mut sent = 0;
    for notice in notices {
        let Some((to, subject, body)) =
            crate::app::access::write_notice(state, &mut tx, &shop_name, &notice).await?
        else {
            db::access::notice_sent(&mut tx, notice.id, now).await?;
            continue;
        };
        let mut outcome = Ok(());
        for (i, to) in to.iter().enumerate() {
            outcome = mailer
                .send(Outgoing {
                    message_id: format!("<{}.{i}@grants.tenant-admin>", notice.id),
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
                db::access::notice_sent(&mut tx, notice.id, now).await?;
                sent += 1;
            }
            Err(e) => {
                let retry = now + chrono::Duration::seconds(backoff_secs(notice.attempts));
                db::access::notice_failed(&mut tx, notice.id, retry, &e.to_string()).await?;
                tracing::warn!(tenant_id = %shop, kind = %notice.kind, error = %e, "grant notice not sent");
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

async fn send_shop(state: &AppState, mailer: &Mailer, shop: TenantId) -> Result<u64, ApiError> {
    let now = state.clock.now();
    let mut tx = state.db.begin(shop).await?;
    let rows = db::team::due_mail(&mut tx, now, BATCH).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let shop_name = db::shops::get(&mut tx).await?.display_name;
    let mut sent = 0;
    for row in rows {
        let written = match (row.kind.as_str(), row.subject_id, row.period.as_deref()) {
            ("staff_invite", Some(id), _) => {
                write_invitation(state, &mut tx, &shop_name, id).await?
            }
            ("access_review", _, Some(period)) => {
                crate::app::review::write_summary(state, &mut tx, &shop_name, period)
                    .await?
                    .map(|(to, subject, body)| Written { to, subject, body })
            }
            _ => None,
        };
        let Some(w) = written else {
            // Nothing to say any more (withdrawn, used, lapsed): done.
            db::team::mail_sent(&mut tx, row.id, now).await?;
            continue;
        };
        let mut outcome = Ok(());
        for (i, to) in w.to.iter().enumerate() {
            outcome = mailer
                .send(Outgoing {
                    message_id: format!("<{}.{i}@outbox.tenant-admin>", row.id),
                    from_name: &shop_name,
                    to,
                    subject: w.subject.clone(),
                    body: w.body.clone(),
                    list_unsubscribe: None,
                })
                .await;
            if outcome.is_err() {
                break;
            }
        }
        match outcome {
            Ok(()) => {
                db::team::mail_sent(&mut tx, row.id, now).await?;
                if let Some(id) = row.subject_id {
                    db::team::forget_token(&mut tx, id).await?;
                }
                sent += 1;
            }
            Err(e) => {
                let retry = now + chrono::Duration::seconds(backoff_secs(row.attempts));
                db::team::mail_failed(&mut tx, row.id, retry, &e.to_string()).await?;
                tracing::warn!(tenant_id = %shop, kind = %row.kind, error = %e, "staff mail not sent");
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}
