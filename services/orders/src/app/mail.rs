//! Service mail from the outbox (not promotional, O17): written in the transaction that
//! makes it due, sent later over SMTP with retries. A row is locked while it is sent and
//! marked in the same transaction, so two senders never send it twice; a crash between
//! the relay's acceptance and the commit can repeat it, and every message carries the
//! row's id as its `Message-ID` so that the receiver can drop such a repeat.

use platform_domain::Money;
use platform_tenancy::TenantId;

use crate::app::Orders;
use crate::db;
use crate::db::outbox::PlacedNotice;
use crate::error::OrdersError;
use platform_mail::{MailError, Mailer, Outgoing};

/// Rows one shop sends per round.
const BATCH: i64 = 20;

pub use platform_mail::backoff_secs;

/// The merchant's notice of a new order: what and how much, never who.
pub fn placed_text(n: &PlacedNotice) -> (String, String) {
    let total = Money::new(n.total_minor, n.currency);
    let items = if n.item_count == 1 {
        "1 item".to_owned()
    } else {
        format!("{} items", n.item_count)
    };
    (
        format!("New order {}", n.reference),
        format!(
            "A new order was placed in {shop}.\n\nOrder: {reference}\nPlaced: {at}\nItems: {items}\nTotal: {total}\n\n\
             It waits for payment. Open it in your shop console under Orders.\n",
            shop = n.shop_name,
            reference = n.reference,
            at = n.created_at.format("%Y-%m-%d %H:%M UTC"),
        ),
    )
}

/// A mail to the buyer, written.
pub struct BuyerMail {
    /// The shop's name (the sender's display name).
    pub shop_name: String,
    /// The buyer's address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body (plain text).
    pub body: String,
}

/// The buyer's confirmation after payment: what was bought and paid, never card data.
pub fn confirmation_text(
    n: &PlacedNotice,
    lines: &[platform_orders_api::OrderLine],
) -> (String, String) {
    let money = |minor: i64| Money::new(minor, n.currency);
    let mut items = String::new();
    for l in lines {
        items.push_str(&format!(
            "  {} × {}{} — {}\n",
            l.quantity,
            l.product_title,
            if l.variant_title.is_empty() || l.variant_title == "Default" {
                String::new()
            } else {
                format!(" ({})", l.variant_title)
            },
            money(l.line_total_minor)
        ));
    }
    (
        format!("Your order {} is confirmed", n.reference),
        format!(
            "Thank you for your order at {shop}.\n\nOrder: {reference}\n\n{items}\nTotal paid: {total}\n\n             We will write again when it ships. This is a service message about your order, not advertising.\n",
            shop = n.shop_name,
            reference = n.reference,
            total = money(n.total_minor),
        ),
    )
}

/// The buyer's shipping notice: carrier and tracking, nothing else.
pub fn shipping_text(
    n: &PlacedNotice,
    shipment: &platform_orders_api::ShipmentView,
) -> (String, String) {
    let follow = shipment
        .tracking_url
        .as_deref()
        .map(|u| format!("Follow it: {u}\n"))
        .unwrap_or_default();
    (
        format!("Your order {} is on its way", n.reference),
        format!(
            "Your order {reference} from {shop} has shipped.\n\nCarrier: {carrier}\nTracking number: {tracking}\n{follow}\n             This is a service message about your order, not advertising.\n",
            reference = n.reference,
            shop = n.shop_name,
            carrier = shipment.carrier,
            tracking = shipment.tracking_number,
        ),
    )
}

/// The notice of a material change of the privacy policy (O20): when it takes effect
/// and where to read it; a service message, sent once per buyer and version.
pub fn policy_text(
    shop_name: &str,
    version: i32,
    effective_at: chrono::DateTime<chrono::Utc>,
    base: &str,
    because: &str,
) -> (String, String) {
    (
        format!("{shop_name} is changing its privacy policy"),
        format!(
            "{shop_name} is making an important change to how it handles your personal data. \
             Version {version} of its privacy policy takes effect on {date}.\n\n\
             Read what changes before then:\n{base}/policies/privacy#upcoming\n\n\
             You can ask for a copy of your data or its erasure on the same page.\n\n\
             You receive this because {because}; it is a service message about your data, not advertising.\n",
            date = effective_at.format("%-d %B %Y"),
        ),
    )
}

/// A written mail, or the note its row gets instead: `nobody` when there is no one to
/// send it to, `unopened` when a sealed field of `whose` details does not open. Such a field will not open
/// on a retry either, so the row is settled instead of stopping the shop's other mail.
fn opened<M>(
    shop: TenantId,
    row: &db::outbox::Due,
    written: Result<Option<M>, OrdersError>,
    (nobody, unopened): (&'static str, &'static str),
) -> Result<Result<M, &'static str>, OrdersError> {
    match written {
        Ok(Some(mail)) => Ok(Ok(mail)),
        Ok(None) => Ok(Err(nobody)),
        Err(OrdersError::Vault(e)) => {
            tracing::warn!(
                tenant_id = %shop,
                outbox_id = %row.id,
                kind = %row.kind,
                error = &e as &dyn std::error::Error,
                "a sealed field does not open; mail dropped"
            );
            Ok(Err(unopened))
        }
        Err(other) => Err(other),
    }
}

/// The message of an outbox row to `to`, from the shop: its id is the row's, so a
/// receiver can drop a repeat.
fn letter<'a>(
    row: &db::outbox::Due,
    from_name: &'a str,
    to: &'a str,
    list_unsubscribe: Option<platform_mail::ListUnsubscribe>,
) -> impl FnOnce(String, String) -> Outgoing<'a> {
    let message_id = format!("<{}@outbox.orders>", row.id);
    move |subject, body| Outgoing {
        message_id,
        from_name,
        to,
        subject,
        body,
        list_unsubscribe,
    }
}

impl Orders {
    /// Writes a mail to the buyer about the order; none when the buyer gave no email
    /// (or their details were erased).
    async fn buyer_mail(
        &self,
        tx: &mut platform_tenancy::TenantTx,
        kind: &str,
        order: platform_domain::OrderId,
        policy_version: Option<i32>,
    ) -> Result<Option<BuyerMail>, OrdersError> {
        let Some(notice) = db::outbox::placed_notice(tx, order).await? else {
            return Ok(None);
        };
        let Some(row) = db::orders::find(tx, order).await? else {
            return Ok(None);
        };
        let contact = self.open_contact(tx, row.contact_sealed.as_deref()).await?;
        if contact.email.is_empty() {
            return Ok(None);
        }
        let (subject, body) = if kind == "policy_notice" {
            let Some(version) = policy_version else {
                return Ok(None);
            };
            // Not (or no longer) published: nothing to announce.
            let Some(effective_at) = db::outbox::policy_effective_at(tx, version).await? else {
                return Ok(None);
            };
            let (_, _, _, _, hosts) = db::subjects::shop_facts(tx).await?;
            let Some(base) = self.shop_url(&hosts) else {
                return Ok(None);
            };
            policy_text(
                &notice.shop_name,
                version,
                effective_at,
                &base,
                &format!("you ordered from {}", notice.shop_name),
            )
        } else if kind == "shipping_notice" {
            match db::orders::shipment(tx, order).await? {
                Some(s) => shipping_text(&notice, &s),
                None => return Ok(None),
            }
        } else {
            let lines = db::orders::lines(tx, order).await?;
            confirmation_text(&notice, &lines)
        };
        Ok(Some(BuyerMail {
            shop_name: notice.shop_name,
            to: contact.email,
            subject,
            body,
        }))
    }

    /// Sends what is due in every shop; returns how many messages left.
    pub async fn send_mail(&self, mailer: &Mailer) -> Result<u64, OrdersError> {
        let mut tx = self.db.platform().await?;
        let shops: Vec<TenantId> =
            sqlx::query_scalar("select id from tenants where status <> 'deleted'")
                .fetch_all(&mut tx)
                .await?;
        tx.commit().await?;
        let mut sent = 0;
        for shop in shops {
            let mut tx = self.db.begin(shop).await?;
            for row in db::outbox::due(&mut tx, BATCH).await? {
                let outcome = if let Some(request) = row.request_id {
                    let written = self.request_mail(&mut tx, &row.kind, request).await;
                    let notes = (
                        "no recipient: the address was erased",
                        "the request's details could not be opened",
                    );
                    match opened(shop, &row, written, notes)? {
                        Ok(mail) => {
                            let out = letter(&row, &mail.shop_name, &mail.to, None);
                            let sent = mailer.send(out(mail.subject, mail.body)).await;
                            if sent.is_ok() {
                                self.request_mail_sent(&mut tx, mail.after).await?;
                            }
                            sent.map(|()| None)
                        }
                        Err(note) => Ok(Some(note)),
                    }
                } else if let Some(consent) = row.guardian_consent_id {
                    let written = self.guardian_mail(&mut tx, &row.kind, consent).await;
                    let notes = (
                        "no recipient: the consent or its address is gone",
                        "the consent's details could not be opened",
                    );
                    match opened(shop, &row, written, notes)? {
                        Ok(mail) => {
                            let out = letter(&row, &mail.shop_name, &mail.to, None);
                            let sent = mailer.send(out(mail.subject, mail.body)).await;
                            if sent.is_ok() {
                                self.guardian_mail_sent(&mut tx, mail.forget_token).await?;
                            }
                            sent.map(|()| None)
                        }
                        Err(note) => Ok(Some(note)),
                    }
                } else if let Some(subscription) = row.subscription_id {
                    let written = self.subscriber_mail(&mut tx, &row, subscription).await;
                    // Promotion only to a confirmed subscription, at the moment of
                    // sending: a withdrawal in between is honoured.
                    let notes = (
                        "not sent: not (or no longer) subscribed",
                        "the subscription's details could not be opened",
                    );
                    match opened(shop, &row, written, notes)? {
                        Ok(mail) => {
                            let out =
                                letter(&row, &mail.shop_name, &mail.to, mail.list_unsubscribe);
                            let sent = mailer.send(out(mail.subject, mail.body)).await;
                            if sent.is_ok() {
                                self.subscriber_mail_sent(&mut tx, mail.forget_confirmation)
                                    .await?;
                            }
                            sent.map(|()| None)
                        }
                        Err(note) => Ok(Some(note)),
                    }
                } else if let Some(order_id) = row.order_id {
                    match row.kind.as_str() {
                        "order_placed" => match db::outbox::placed_notice(&mut tx, order_id).await?
                        {
                            Some(n) if !n.contact_email.is_empty() => {
                                let (subject, body) = placed_text(&n);
                                let out = letter(&row, &n.shop_name, &n.contact_email, None);
                                mailer.send(out(subject, body)).await.map(|()| None)
                            }
                            Some(_) => Ok(Some("no recipient: the shop has no contact email")),
                            None => Ok(Some("no such order")),
                        },
                        "order_confirmation" | "shipping_notice" | "policy_notice" => {
                            let written = self
                                .buyer_mail(&mut tx, &row.kind, order_id, row.policy_version)
                                .await;
                            let notes = (
                                "no recipient: the buyer gave no email",
                                "the buyer's details could not be opened",
                            );
                            match opened(shop, &row, written, notes)? {
                                Ok(mail) => {
                                    let out = letter(&row, &mail.shop_name, &mail.to, None);
                                    mailer
                                        .send(out(mail.subject, mail.body))
                                        .await
                                        .map(|()| None)
                                }
                                Err(note) => Ok(Some(note)),
                            }
                        }
                        _ => continue,
                    }
                } else {
                    continue;
                };
                sent += self.settle(&mut tx, shop, &row, outcome).await?;
            }
            tx.commit().await?;
        }
        Ok(sent)
    }

    /// Marks a row sent (1 when a message left) or schedules its retry (0).
    async fn settle(
        &self,
        tx: &mut platform_tenancy::TenantTx,
        shop: TenantId,
        row: &db::outbox::Due,
        outcome: Result<Option<&str>, MailError>,
    ) -> Result<u64, OrdersError> {
        match outcome {
            Ok(note) => {
                db::outbox::sent(tx, row.id, note).await?;
                Ok(u64::from(note.is_none()))
            }
            Err(e) => {
                let error = match &e {
                    MailError::Smtp(what) => format!("smtp: {what}"),
                    other => other.to_string(),
                };
                tracing::warn!(tenant_id = %shop, outbox_id = %row.id, error, "mail not sent; will retry");
                db::outbox::failed(tx, row.id, backoff_secs(row.attempts), &error).await?;
                Ok(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_secs(0), 30);
        assert_eq!(backoff_secs(1), 60);
        assert_eq!(backoff_secs(6), 1920);
        assert_eq!(backoff_secs(7), 3600);
        assert_eq!(backoff_secs(50), 3600);
    }
}
