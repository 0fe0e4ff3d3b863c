//! Marketing consent (O17, O18): a person asks for a shop's news (the unticked box at
//! checkout, or the sign-up form), confirms by an emailed single-use link (double
//! opt-in), and withdraws as easily: one click in their mail program (RFC 8058), the
//! link in every newsletter, or a mail to the `List-Unsubscribe` address. Newsletters go
//! to confirmed subscriptions only; the outbox itself refuses any other (a trigger in
//! migration 22), and a withdrawal settles the subscription's waiting copies at once.
//!
//! The subscriber's email is sealed under the subscription's own subject key and found
//! by the orders' blind index, so access requests list consents and erasure removes
//! them. A withdrawal destroys that key: the dates stay, the address does not.

use platform_auth::Token;
use platform_domain::contact::{is_plausible_email, normalised_email};
use platform_domain::{
    ConsentSource, NewsletterId, SubscriptionId, SubscriptionStatus, WithdrawalMethod,
};
use platform_mail::ListUnsubscribe;
use platform_orders_api::{
    ErrorCode, ExportedConsent, NewNewsletter, NewsletterSummary, Newsletters, Subscribe,
    Unsubscribe, UnsubscribeMail,
};
use platform_tenancy::{TenantId, TenantTx};
use uuid::Uuid;

use super::{EMAIL_INDEX, Orders};
use crate::app::privacy::hash_of;
use crate::db::{self, subscriptions::SubscriptionRow};
use crate::error::OrdersError;

type Result<T> = std::result::Result<T, OrdersError>;

/// Vault contexts of a subscription's sealed fields.
const EMAIL_FIELD: &str = "subscription.email";
const CONFIRM_FIELD: &str = "subscription.confirm";
const UNSUBSCRIBE_FIELD: &str = "subscription.unsubscribe";

/// The confirmation link's mail.
pub const VERIFY: &str = "subscribe_verify";
/// A newsletter's copy.
pub const NEWSLETTER: &str = "newsletter";

/// Longest subject line and text of a newsletter.
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 20_000;

/// Newsletters the console lists.
const LISTED: i64 = 50;

fn link_invalid() -> OrdersError {
    OrdersError::refused(
        ErrorCode::LinkInvalid,
        "This link is not valid any more: it was used, or more than 24 hours passed.",
    )
}

fn unknown_unsubscribe() -> OrdersError {
    OrdersError::refused(
        ErrorCode::LinkInvalid,
        "This unsubscribe link is not one of this shop's.",
    )
}

fn newsletter_invalid(message: &str) -> OrdersError {
    OrdersError::refused(ErrorCode::NewsletterInvalid, message)
}

/// A mail about a subscription, written.
pub struct SubscriberMail {
    /// The shop's name.
    pub shop_name: String,
    /// The subscriber.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// The unsubscribe links (promotional mail).
    pub list_unsubscribe: Option<ListUnsubscribe>,
    /// Forget the confirmation token once this has left.
    pub forget_confirmation: Option<SubscriptionId>,
}

/// The confirmation mail: what was asked, where, and that nothing happens otherwise.
fn verify_text(shop: &str, source: ConsentSource, link: &str) -> (String, String) {
    let where_ = match source {
        ConsentSource::Checkout => "ticked the box for news and offers when you ordered",
        ConsentSource::SignupForm => "asked for news and offers on the shop's page",
    };
    (
        format!("Please confirm: news from {shop}"),
        format!(
            "Somebody, we hope you, {where_} at {shop}.\n\n\
             To receive them, confirm within 24 hours:\n{link}\n\n\
             If it was not you, do nothing: without your confirmation this address gets no \
             news, and it is forgotten after 24 hours. Every newsletter has a one-click \
             unsubscribe link.\n\n\
             This is a service message about your subscription, not advertising.\n"
        ),
    )
}

/// A newsletter's copy: the merchant's text, then why it came and the way out.
fn newsletter_text(
    shop: &str,
    body: &str,
    since: chrono::DateTime<chrono::Utc>,
    unsubscribe: &str,
) -> String {
    format!(
        "{body}\n\n-- \nYou receive this because you subscribed to news from {shop} on {date}.\n\
         Unsubscribe with one click: {unsubscribe}\n",
        date = since.format("%-d %B %Y"),
    )
}

impl Orders {
    /// A visitor asks for the shop's news on the sign-up form: the same empty answer for
    /// every well-formed address.
    pub async fn subscribe(&self, tenant: TenantId, request: Subscribe) -> Result<()> {
        let email = request.email.trim();
        if email.len() > 254 || !is_plausible_email(email) {
            return Err(OrdersError::refused(
                ErrorCode::EmailInvalid,
                "Please give an email address that can receive mail.",
            ));
        }
        let mut tx = self.db.begin(tenant).await?;
        self.ask_subscription(&mut tx, email, request.source, request.policy_version)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Asks for a subscription in the caller's transaction: a pending one with a
    /// confirmation mailed, unless the address is subscribed or a link sent earlier
    /// still works (at most one confirmation mail per address and day).
    pub(crate) async fn ask_subscription(
        &self,
        tx: &mut TenantTx,
        email: &str,
        source: ConsentSource,
        policy_version: Option<i32>,
    ) -> Result<()> {
        let index = self
            .vault
            .blind_index(tx, EMAIL_INDEX, &normalised_email(email))
            .await?;
        let policy_version = match policy_version {
            Some(v) if db::subscriptions::published_policy(tx, v).await? => Some(v),
            _ => None,
        };
        if let Some(live) = db::subscriptions::live_for_update(tx, &index).await? {
            let expired = live.status == SubscriptionStatus::Pending
                && live.requested_at
                    + chrono::Duration::hours(platform_domain::SUBSCRIBE_LINK_HOURS)
                    < chrono::Utc::now();
            if !expired {
                tracing::info!(tenant_id = %tx.tenant(), "subscription asked again; nothing sent");
                return Ok(());
            }
            db::subscriptions::delete(tx, live.id).await?;
            self.vault.shred_subject(tx, live.subject_id).await?;
        }
        let id = SubscriptionId::random();
        let subject = Uuid::new_v4();
        let confirm = Token::generate();
        let unsubscribe = Token::generate();
        let email_sealed = self
            .vault
            .seal_for_subject(tx, subject, EMAIL_FIELD, email.as_bytes())
            .await?;
        let confirm_sealed = self
            .vault
            .seal_for_subject(tx, subject, CONFIRM_FIELD, confirm.as_str().as_bytes())
            .await?;
        let unsubscribe_sealed = self
            .vault
            .seal_for_subject(
                tx,
                subject,
                UNSUBSCRIBE_FIELD,
                unsubscribe.as_str().as_bytes(),
            )
            .await?;
        db::subscriptions::insert(
            tx,
            &db::subscriptions::NewSubscription {
                id,
                subject_id: subject,
                email_index: &index,
                email_sealed: email_sealed.as_bytes(),
                source,
                policy_version,
                confirm: (confirm.digest(), confirm_sealed.as_bytes()),
                unsubscribe: (unsubscribe.digest(), unsubscribe_sealed.as_bytes()),
            },
        )
        .await?;
        db::subscriptions::enqueue(tx, id, VERIFY).await?;
        tracing::info!(tenant_id = %tx.tenant(), subscription_id = %id, source = %source, "subscription asked, awaiting confirmation");
        Ok(())
    }

    /// The subscriber confirms by the emailed token.
    pub async fn confirm_subscription(&self, tenant: TenantId, token: &str) -> Result<()> {
        let hash = hash_of(token).ok_or_else(link_invalid)?;
        let mut tx = self.db.begin(tenant).await?;
        let confirmed = db::subscriptions::confirm(&mut tx, &hash).await?;
        tx.commit().await?;
        if !confirmed {
            return Err(link_invalid());
        }
        tracing::info!(tenant_id = %tenant, "subscription confirmed");
        Ok(())
    }

    /// A subscriber withdraws by the secret of a mail's links: at once, and again as
    /// often as they like (the same answer).
    pub async fn unsubscribe(&self, tenant: TenantId, request: Unsubscribe) -> Result<()> {
        let hash = hash_of(&request.token).ok_or_else(unknown_unsubscribe)?;
        let mut tx = self.db.begin(tenant).await?;
        let withdrawn = db::subscriptions::withdraw(&mut tx, &hash, request.method).await?;
        let subject = withdrawn.map_err(|()| unknown_unsubscribe())?;
        if let Some(subject) = subject {
            self.vault.shred_subject(&mut tx, subject).await?;
        }
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, method = %request.method, "subscription withdrawn");
        Ok(())
    }

    /// A mail to the unsubscribe address, as the inbound relay hands it over: its
    /// subject `unsubscribe <shop id> <secret>` (a reply's `Re:` allowed).
    pub async fn unsubscribe_by_mail(&self, mail: UnsubscribeMail) -> Result<()> {
        let words: Vec<&str> = mail.subject.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("unsubscribe"))
            .ok_or_else(unknown_unsubscribe)?;
        let (Some(shop), Some(token)) = (words.get(at + 1), words.get(at + 2)) else {
            return Err(unknown_unsubscribe());
        };
        let tenant: TenantId = shop.parse().map_err(|_| unknown_unsubscribe())?;
        self.unsubscribe(
            tenant,
            Unsubscribe {
                token: (*token).to_owned(),
                method: WithdrawalMethod::Mailto,
            },
        )
        .await
    }

    /// Subscriber counts and the newsletters sent.
    pub async fn newsletters(&self, tenant: TenantId) -> Result<Newsletters> {
        let mut tx = self.db.begin(tenant).await?;
        let subscribers = db::subscriptions::counts(&mut tx).await?;
        let sent = db::subscriptions::newsletters(&mut tx, LISTED).await?;
        tx.commit().await?;
        Ok(Newsletters { subscribers, sent })
    }

    /// Sends a newsletter to every confirmed subscriber: one outbox copy each.
    pub async fn send_newsletter(
        &self,
        tenant: TenantId,
        newsletter: NewNewsletter,
    ) -> Result<NewsletterSummary> {
        let subject = newsletter.subject.trim();
        let body = newsletter.body.trim_end();
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
            return Err(newsletter_invalid(
                "Please give a subject of at most 200 characters.",
            ));
        }
        if subject.chars().any(char::is_control) {
            return Err(newsletter_invalid("The subject must fit on one line."));
        }
        if body.trim().is_empty() || body.chars().count() > MAX_BODY {
            return Err(newsletter_invalid(
                "Please write the newsletter, in at most 20,000 characters.",
            ));
        }
        if body
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(newsletter_invalid(
                "The text has control characters; please paste it as plain text.",
            ));
        }
        let id = NewsletterId::random();
        let mut tx = self.db.begin(tenant).await?;
        let recipients =
            db::subscriptions::insert_newsletter(&mut tx, id, subject, body, newsletter.staff_id)
                .await?;
        let summary = db::subscriptions::newsletters(&mut tx, 1)
            .await?
            .into_iter()
            .find(|n| n.id == id);
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, newsletter_id = %id, recipients, "newsletter queued");
        summary.ok_or(OrdersError::NotFound)
    }

    /// The consent records under an email, as an export lists them.
    pub(crate) async fn consents_of(
        &self,
        tx: &mut TenantTx,
        email_index: &[u8],
    ) -> Result<Vec<ExportedConsent>> {
        Ok(db::subscriptions::of_email(tx, email_index)
            .await?
            .into_iter()
            .map(|s| ExportedConsent {
                purpose: s.purpose,
                given_at: s.requested_at,
                source: s.source.as_str().to_owned(),
                method: s.source.method().to_owned(),
                policy_version: s.policy_version,
                confirmed_at: s.confirmed_at,
                withdrawn_at: s.withdrawn_at,
                withdrawal_method: s.withdrawal_method.map(|m| m.as_str().to_owned()),
            })
            .collect())
    }

    /// The subjects of the subscriptions under an email (an erasure destroys them).
    pub(crate) async fn subscription_subjects(
        &self,
        tx: &mut TenantTx,
        email_index: &[u8],
    ) -> Result<Vec<Uuid>> {
        Ok(db::subscriptions::of_email(tx, email_index)
            .await?
            .into_iter()
            .map(|s| s.subject_id)
            .collect())
    }

    /// Writes the mail of an outbox row about a subscription; none when nobody should
    /// receive it (withdrawn or never confirmed, for promotion; the link's secret gone).
    pub(crate) async fn subscriber_mail(
        &self,
        tx: &mut TenantTx,
        row: &db::outbox::Due,
        subscription: SubscriptionId,
    ) -> Result<Option<SubscriberMail>> {
        let Some(s) = db::subscriptions::find_for_update(tx, subscription).await? else {
            return Ok(None);
        };
        let (shop_name, _, _, _, hosts) = db::subjects::shop_facts(tx).await?;
        let Some(base) = self.shop_url(&hosts) else {
            return Ok(None);
        };
        let Some(to) = self
            .open_text(tx, EMAIL_FIELD, s.email_sealed.as_deref())
            .await?
        else {
            return Ok(None);
        };
        let mail = |subject, body, list_unsubscribe, forget_confirmation| SubscriberMail {
            shop_name: shop_name.clone(),
            to: to.clone(),
            subject,
            body,
            list_unsubscribe,
            forget_confirmation,
        };
        match row.kind.as_str() {
            VERIFY => {
                if s.status != SubscriptionStatus::Pending {
                    return Ok(None);
                }
                let Some(token) = self
                    .open_text(tx, CONFIRM_FIELD, s.confirm_token_sealed.as_deref())
                    .await?
                else {
                    return Ok(None);
                };
                let (subject, body) = verify_text(
                    &shop_name,
                    s.source,
                    &format!("{base}/newsletter/confirm/{token}"),
                );
                Ok(Some(mail(subject, body, None, Some(s.id))))
            }
            NEWSLETTER => {
                let (Some(newsletter), Some(since)) = (row.newsletter_id, s.confirmed_at) else {
                    return Ok(None);
                };
                if s.status != SubscriptionStatus::Confirmed {
                    return Ok(None);
                }
                let Some(token) = self.unsubscribe_token(tx, &s).await? else {
                    return Ok(None);
                };
                let Some((subject, text)) = db::subscriptions::newsletter(tx, newsletter).await?
                else {
                    return Ok(None);
                };
                let https = format!("{base}/unsubscribe/{token}");
                let body = newsletter_text(&shop_name, &text, since, &https);
                let list = ListUnsubscribe {
                    https,
                    mail_subject: format!("unsubscribe {} {token}", tx.tenant()),
                };
                Ok(Some(mail(subject, body, Some(list), None)))
            }
            "policy_notice" => {
                let Some(version) = row.policy_version else {
                    return Ok(None);
                };
                if s.status != SubscriptionStatus::Confirmed {
                    return Ok(None);
                }
                let Some(effective_at) = db::outbox::policy_effective_at(tx, version).await? else {
                    return Ok(None);
                };
                let (subject, body) = super::mail::policy_text(
                    &shop_name,
                    version,
                    effective_at,
                    &base,
                    "you subscribed to its news",
                );
                Ok(Some(mail(subject, body, None, None)))
            }
            _ => Ok(None),
        }
    }

    async fn unsubscribe_token(
        &self,
        tx: &mut TenantTx,
        s: &SubscriptionRow,
    ) -> Result<Option<String>> {
        self.open_text(tx, UNSUBSCRIBE_FIELD, s.unsubscribe_sealed.as_deref())
            .await
    }

    /// After a subscription's mail left: forget what it carried.
    pub(crate) async fn subscriber_mail_sent(
        &self,
        tx: &mut TenantTx,
        forget_confirmation: Option<SubscriptionId>,
    ) -> Result<()> {
        if let Some(id) = forget_confirmation {
            db::subscriptions::confirmation_mailed(tx, id).await?;
        }
        Ok(())
    }

    /// Deletes subscriptions nobody confirmed in time, with their keys.
    pub(crate) async fn purge_unconfirmed_subscriptions(&self, tx: &mut TenantTx) -> Result<usize> {
        let subjects = db::subscriptions::purge_unconfirmed(tx).await?;
        for subject in &subjects {
            self.vault.shred_subject(tx, *subject).await?;
        }
        Ok(subjects.len())
    }
}
