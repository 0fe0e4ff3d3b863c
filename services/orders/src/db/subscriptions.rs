//! Subscriptions (the consent records of O17), newsletters and their outbox rows. Tokens
//! are kept as SHA-256 only; the secrets themselves sealed until mailed (confirmation)
//! or while subscribed (unsubscribe).

use chrono::{DateTime, Utc};
use platform_domain::{
    ConsentSource, NewsletterId, StaffId, SubscriptionId, SubscriptionStatus, WithdrawalMethod,
};
use platform_orders_api::{NewsletterSummary, SubscriberCounts};
use platform_tenancy::TenantTx;
use uuid::Uuid;

/// A subscription as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct SubscriptionRow {
    /// Its id.
    pub id: SubscriptionId,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// The subscriber as a data subject.
    pub subject_id: Uuid,
    /// Their email, sealed (gone once withdrawn).
    pub email_sealed: Option<Vec<u8>>,
    /// Where they asked.
    pub source: ConsentSource,
    /// For what.
    pub purpose: String,
    /// The privacy policy version shown.
    pub policy_version: Option<i32>,
    /// When they asked.
    pub requested_at: DateTime<Utc>,
    /// The confirmation token, sealed, until mailed.
    pub confirm_token_sealed: Option<Vec<u8>>,
    /// When confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The unsubscribe secret, sealed, while subscribed.
    pub unsubscribe_sealed: Option<Vec<u8>>,
    /// When withdrawn.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// How withdrawn.
    pub withdrawal_method: Option<WithdrawalMethod>,
}

/// `select <every column of SubscriptionRow> from subscriptions <rest>`.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "select id, status, subject_id, email_sealed, source, purpose, policy_version, \
                requested_at, confirm_token_sealed, confirmed_at, unsubscribe_sealed, \
                withdrawn_at, withdrawal_method from subscriptions ",
            $rest
        )
    };
}

/// A new subscription's row.
pub struct NewSubscription<'a> {
    /// Its id.
    pub id: SubscriptionId,
    /// The subscriber as a data subject.
    pub subject_id: Uuid,
    /// Blind index of their email.
    pub email_index: &'a [u8],
    /// Their email, sealed.
    pub email_sealed: &'a [u8],
    /// Where they asked.
    pub source: ConsentSource,
    /// The privacy policy version shown.
    pub policy_version: Option<i32>,
    /// The confirmation token's hash and the token sealed.
    pub confirm: (Vec<u8>, &'a [u8]),
    /// The unsubscribe secret's hash and the secret sealed.
    pub unsubscribe: (Vec<u8>, &'a [u8]),
}

/// The live (pending or confirmed) subscription of an address, locked.
pub async fn live_for_update(
    tx: &mut TenantTx,
    email_index: &[u8],
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(select!(
        "where email_index = $1 and status in ('pending', 'confirmed') for update"
    ))
    .bind(email_index)
    .fetch_optional(&mut *tx)
    .await
}

/// Inserts a pending subscription with its 24-hour confirmation link.
pub async fn insert(tx: &mut TenantTx, s: &NewSubscription<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into subscriptions (tenant_id, id, subject_id, email_index, email_sealed, \
             source, policy_version, confirm_hash, confirm_token_sealed, confirm_until, \
             unsubscribe_hash, unsubscribe_sealed) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(hours => $10), \
             $11, $12)",
    )
    .bind(tx.tenant())
    .bind(s.id)
    .bind(s.subject_id)
    .bind(s.email_index)
    .bind(s.email_sealed)
    .bind(s.source)
    .bind(s.policy_version)
    .bind(&s.confirm.0)
    .bind(s.confirm.1)
    .bind(platform_domain::SUBSCRIBE_LINK_HOURS as i32)
    .bind(&s.unsubscribe.0)
    .bind(s.unsubscribe.1)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes a subscription (a pending one whose link expired, asked again).
pub async fn delete(tx: &mut TenantTx, id: SubscriptionId) -> Result<(), sqlx::Error> {
    sqlx::query("delete from subscriptions where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Whether `version` of the shop's privacy policy is published.
pub async fn published_policy(tx: &mut TenantTx, version: i32) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from privacy_policies where version = $1 and status = 'published')",
    )
    .bind(version)
    .fetch_one(&mut *tx)
    .await
}

/// Queues a mail about a subscription (its confirmation link, a policy notice).
pub async fn enqueue(
    tx: &mut TenantTx,
    subscription: SubscriptionId,
    kind: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, subscription_id) values ($1, $2, $3, $4)",
    )
    .bind(tx.tenant())
    .bind(Uuid::new_v4())
    .bind(kind)
    .bind(subscription)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Confirms the pending subscription whose link has this hash while the link works.
/// The same link pressed again answers the same (a double click, a reload) and changes
/// nothing; returns whether the link is good.
pub async fn confirm(tx: &mut TenantTx, hash: &[u8]) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar(
        "with confirmed as ( \
             update subscriptions \
                set status = 'confirmed', confirmed_at = now(), confirm_token_sealed = null \
              where confirm_hash = $1 and status = 'pending' and confirm_until > now() \
             returning 1) \
         select 1 from confirmed \
         union all \
         select 1 from subscriptions \
          where confirm_hash = $1 and status = 'confirmed' and confirm_until > now()",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

/// Withdraws the subscription whose unsubscribe secret has this hash: the address and
/// secrets go, the dates stay; its waiting newsletter copies are settled as not sent in
/// the same transaction (the very next send excludes it). Returns the subject whose key
/// is then destroyed, none when it was withdrawn before (or the secret is unknown:
/// `Err(())` inside).
pub async fn withdraw(
    tx: &mut TenantTx,
    hash: &[u8],
    method: WithdrawalMethod,
) -> Result<Result<Option<Uuid>, ()>, sqlx::Error> {
    let row: Option<(SubscriptionId, Uuid, SubscriptionStatus)> = sqlx::query_as(
        "select id, subject_id, status from subscriptions where unsubscribe_hash = $1 for update",
    )
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, subject, status)) = row else {
        return Ok(Err(()));
    };
    if status == SubscriptionStatus::Withdrawn {
        return Ok(Ok(None));
    }
    sqlx::query(
        "update outbox set sent_at = now(), last_error = 'not sent: the subscriber withdrew' \
         where subscription_id = $1 and sent_at is null and kind in ('newsletter', 'subscribe_verify')",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "update subscriptions \
            set status = 'withdrawn', withdrawn_at = now(), withdrawal_method = $2, \
                email_sealed = null, unsubscribe_sealed = null, confirm_token_sealed = null \
          where id = $1",
    )
    .bind(id)
    .bind(method)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(Some(subject)))
}

/// A subscription by id, locked (the sender's view).
pub async fn find_for_update(
    tx: &mut TenantTx,
    id: SubscriptionId,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(select!("where id = $1 for update"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Forgets the confirmation token once its mail has left.
pub async fn confirmation_mailed(tx: &mut TenantTx, id: SubscriptionId) -> Result<(), sqlx::Error> {
    sqlx::query("update subscriptions set confirm_token_sealed = null where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Deletes subscriptions nobody confirmed before their link expired; returns their
/// subjects (whose keys are then destroyed).
pub async fn purge_unconfirmed(tx: &mut TenantTx) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from subscriptions where status = 'pending' and confirm_until < now() \
         returning subject_id",
    )
    .fetch_all(&mut *tx)
    .await
}

/// Every subscription under an email (the person's consent records), oldest first.
pub async fn of_email(
    tx: &mut TenantTx,
    email_index: &[u8],
) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(select!("where email_index = $1 order by requested_at"))
        .bind(email_index)
        .fetch_all(&mut *tx)
        .await
}

/// Subscribers by status.
pub async fn counts(tx: &mut TenantTx) -> Result<SubscriberCounts, sqlx::Error> {
    let (pending, confirmed, withdrawn) = sqlx::query_as(
        "select count(*) filter (where status = 'pending'), \
                count(*) filter (where status = 'confirmed'), \
                count(*) filter (where status = 'withdrawn') \
         from subscriptions",
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(SubscriberCounts {
        pending,
        confirmed,
        withdrawn,
    })
}

/// Writes a newsletter and queues one copy per confirmed subscription; returns how many.
pub async fn insert_newsletter(
    tx: &mut TenantTx,
    id: NewsletterId,
    subject: &str,
    body: &str,
    staff: StaffId,
) -> Result<i64, sqlx::Error> {
    let recipients: i64 =
        sqlx::query_scalar("select count(*) from subscriptions where status = 'confirmed'")
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query(
        "insert into newsletters (tenant_id, id, subject, body, sent_by, recipients) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tx.tenant())
    .bind(id)
    .bind(subject)
    .bind(body)
    .bind(staff)
    .bind(i32::try_from(recipients).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into outbox (tenant_id, id, kind, subscription_id, newsletter_id) \
         select $1, gen_random_uuid(), 'newsletter', id, $2 from subscriptions \
          where status = 'confirmed'",
    )
    .bind(tx.tenant())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(recipients)
}

/// The newsletters sent, newest first, with how their copies fared.
pub async fn newsletters(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<NewsletterSummary>, sqlx::Error> {
    type Row = (NewsletterId, String, DateTime<Utc>, i32, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "select n.id, n.subject, n.created_at, n.recipients, \
                count(o.id) filter (where o.sent_at is not null and o.last_error is null), \
                count(o.id) filter (where o.sent_at is not null and o.last_error is not null), \
                count(o.id) filter (where o.sent_at is null) \
         from newsletters n left join outbox o on o.newsletter_id = n.id \
         group by n.id, n.subject, n.created_at, n.recipients \
         order by n.created_at desc limit $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, subject, created_at, recipients, delivered, withdrawn, waiting)| {
                NewsletterSummary {
                    id,
                    subject,
                    created_at,
                    recipients: i64::from(recipients),
                    delivered,
                    withdrawn,
                    waiting,
                }
            },
        )
        .collect())
}

/// A newsletter's subject and text.
pub async fn newsletter(
    tx: &mut TenantTx,
    id: NewsletterId,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("select subject, body from newsletters where id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Queues one notice of policy `version` per confirmed subscriber who is not also a
/// buyer (buyers get theirs through their newest order), once; returns how many.
pub async fn enqueue_policy_notices(tx: &mut TenantTx, version: i32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "insert into outbox (tenant_id, id, kind, subscription_id, policy_version) \
         select $1, gen_random_uuid(), 'policy_notice', s.id, $2 from subscriptions s \
          where s.status = 'confirmed' \
            and not exists (select 1 from orders o where o.email_index = s.email_index \
                                                      and o.erased_at is null) \
         on conflict (tenant_id, subscription_id, policy_version) \
            where subscription_id is not null and policy_version is not null \
         do nothing",
    )
    .bind(tx.tenant())
    .bind(version)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}
