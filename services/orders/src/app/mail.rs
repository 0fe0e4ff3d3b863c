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
use crate::mailer::{MailError, Mailer, Outgoing};

/// Rows one shop sends per round.
const BATCH: i64 = 20;

/// Seconds before try number `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    30_i64.saturating_mul(1 << attempts.clamp(0, 7)).min(3600)
}

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

impl Orders {
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
                let outcome = match row.kind.as_str() {
                    "order_placed" => match db::outbox::placed_notice(&mut tx, row.order_id).await?
                    {
                        Some(n) if !n.contact_email.is_empty() => {
                            let (subject, body) = placed_text(&n);
                            mailer
                                .send(Outgoing {
                                    message_id: format!("<{}@outbox.orders>", row.id),
                                    from_name: &n.shop_name,
                                    to: &n.contact_email,
                                    subject,
                                    body,
                                })
                                .await
                                .map(|()| None)
                        }
                        Some(_) => Ok(Some("no recipient: the shop has no contact email")),
                        None => Ok(Some("no such order")),
                    },
                    // Buyer mail arrives with payments and shipping.
                    _ => continue,
                };
                match outcome {
                    Ok(note) => {
                        db::outbox::sent(&mut tx, row.id, note).await?;
                        if note.is_none() {
                            sent += 1;
                        }
                    }
                    Err(e) => {
                        let error = match &e {
                            MailError::Smtp(what) => format!("smtp: {what}"),
                            other => other.to_string(),
                        };
                        tracing::warn!(tenant_id = %shop, outbox_id = %row.id, error, "mail not sent; will retry");
                        db::outbox::failed(&mut tx, row.id, backoff_secs(row.attempts), &error)
                            .await?;
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(sent)
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
