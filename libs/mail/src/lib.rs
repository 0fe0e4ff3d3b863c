//! Sending mail over SMTP (lettre) to the platform's relay: maildev in development, the
//! production relay elsewhere (each service's `…_SMTP_URL`). The orders service sends
//! buyers' and merchants' order mail with it, the console its staff invitations and
//! access reviews; both from a transactional outbox.
//!
//! What this crate must never do: log or return an address. Errors are reduced to a
//! category before they are stored or logged: an SMTP server's answer may quote one.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Seconds before an outbox row's try number `attempts + 1`: 30 s, doubling, at most an
/// hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    30_i64.saturating_mul(1 << attempts.clamp(0, 7)).min(3600)
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The recipient or sender is not a valid address.
    #[error("address")]
    Address,
    /// The message could not be built.
    #[error("message")]
    Message,
    /// The relay refused or could not be reached.
    #[error("smtp {0}")]
    Smtp(&'static str),
}

/// The SMTP relay and the address mail comes from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

/// A message ready to send.
pub struct Outgoing<'a> {
    /// Stable id, so that a receiver can drop a duplicate (`<id@domain>`).
    pub message_id: String,
    /// The sender's display name (the shop).
    pub from_name: &'a str,
    /// Recipient address.
    pub to: &'a str,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// For promotional mail: the unsubscribe links of RFC 2369 and RFC 8058.
    pub list_unsubscribe: Option<ListUnsubscribe>,
}

/// How a recipient leaves a list: `List-Unsubscribe` with an HTTPS address that takes a
/// one-click POST (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058) and a
/// `mailto` of the sending address with a subject that names the subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe {
    /// The HTTPS address of the one-click unsubscribe.
    pub https: String,
    /// The subject of the `mailto` (ASCII letters, digits, spaces and `-_`).
    pub mail_subject: String,
}

impl ListUnsubscribe {
    /// The `List-Unsubscribe` value, with the `mailto` to `mailbox`; none when a part
    /// could break the header (only printable ASCII without `<>,"` and spaces in the
    /// address, and a subject of letters, digits, spaces and `-_`).
    pub fn header_value(&self, mailbox: &str) -> Option<String> {
        let safe_uri = |text: &str| {
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b',' | b'"'))
        };
        let safe_subject = self
            .mail_subject
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'_'));
        if !self.https.starts_with("https://")
            || !safe_uri(&self.https)
            || !safe_uri(mailbox)
            || !safe_subject
        {
            return None;
        }
        Some(format!(
            "<{}>, <mailto:{mailbox}?subject={}>",
            self.https,
            self.mail_subject.replace(' ', "%20")
        ))
    }
}

impl Mailer {
    /// A mailer for the relay at `url`, sending as `from`. Only `smtp://host:port` is
    /// taken: plain SMTP to a relay on the same host or private network (maildev in
    /// development, a local MTA that relays with TLS in production).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let bad = || format!("{url:?} is not smtp://host:port");
        let (host, port) = url
            .strip_prefix("smtp://")
            .and_then(|rest| rest.trim_end_matches('/').rsplit_once(':'))
            .ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(10)))
            .build();
        from.parse::<lettre::Address>().map_err(|e| e.to_string())?;
        Ok(Mailer {
            transport,
            from: from.to_owned(),
        })
    }

    /// Sends one message.
    pub async fn send(&self, out: Outgoing<'_>) -> Result<(), MailError> {
        let from = Mailbox::new(
            Some(out.from_name.to_owned()),
            self.from.parse().map_err(|_| MailError::Address)?,
        );
        let to: Mailbox = out.to.parse().map_err(|_| MailError::Address)?;
        let mut builder = Message::builder()
            .message_id(Some(out.message_id))
            .from(from)
            .to(to)
            .subject(out.subject)
            .header(ContentType::TEXT_PLAIN);
        if let Some(list) = &out.list_unsubscribe {
            let value = list.header_value(&self.from).ok_or(MailError::Message)?;
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    value,
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder.body(out.body).map_err(|_| MailError::Message)?;
        self.transport.send(message).await.map(drop).map_err(|e| {
            MailError::Smtp(if e.is_permanent() {
                "permanent refusal"
            } else if e.is_transient() {
                "transient refusal"
            } else {
                "connection"
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(https: &str, subject: &str) -> ListUnsubscribe {
        ListUnsubscribe {
            https: https.to_owned(),
            mail_subject: subject.to_owned(),
        }
    }

    #[test]
    fn the_header_names_both_ways_out() {
        assert_eq!(
            list("https://shop.test/unsubscribe/abc", "unsubscribe 1-2 abc_d").header_value("mail@platform.test"),
            Some(
                "<https://shop.test/unsubscribe/abc>, <mailto:mail@platform.test?subject=unsubscribe%201-2%20abc_d>"
                    .to_owned()
            )
        );
    }

    #[test]
    fn nothing_that_could_break_the_header_goes_in() {
        for (https, subject) in [
            ("http://shop.test/u/1", "x"),
            ("https://shop.test/u/1>, <https://evil.test", "x"),
            ("https://shop.test/u/1\r\nBcc: a@b.c", "x"),
            ("https://shop.test/u/1", "x\r\nBcc: a@b.c"),
            ("https://shop.test/u/1", "x&body=y"),
        ] {
            assert_eq!(
                list(https, subject).header_value("mail@platform.test"),
                None,
                "{https} {subject}"
            );
        }
    }
}
