//! The mail of requests (service mail, never promotional): the confirmation link, an
//! extension's reason, the export link, a refusal's reason, a completed correction, and
//! the erasure certificate. Secrets (tokens) stay sealed until their mail leaves and are
//! forgotten right after; an erasure's requester is forgotten once the certificate left.

use platform_domain::{RequestId, RequestKind};
use platform_orders_api::ErasureCertificate;
use platform_tenancy::TenantTx;

use super::{EMAIL_FIELD, Orders, Result, TOKEN_FIELD};
use crate::db::{self, privacy::RequestRow};

/// The confirmation link.
pub const VERIFY: &str = "request_verify";
/// The extension and its reason.
pub const EXTENDED: &str = "request_extended";
/// The export link.
pub const EXPORT: &str = "request_export";
/// A refusal and its reason.
pub const REFUSED: &str = "request_refused";
/// A correction done.
pub const COMPLETED: &str = "request_completed";
/// The erasure certificate.
pub const CERTIFICATE: &str = "erasure_certificate";

/// What to forget once a mail has left.
pub enum After {
    /// Nothing.
    Nothing,
    /// The request's confirmation token.
    Token(RequestId),
    /// An export's link token.
    ExportToken(uuid::Uuid),
    /// The requester of a completed erasure.
    Requester(Box<RequestRow>),
}

/// A request's mail, written.
pub struct RequestMail {
    /// The shop's name.
    pub shop_name: String,
    /// The requester.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// What to forget once it left.
    pub after: After,
}

fn what(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => "a copy of your data",
        RequestKind::Correction => "a correction of your data",
        RequestKind::Erasure => "the erasure of your data",
    }
}

const FOOTER: &str = "\n\nThis is a service message about your request, not advertising.\n";

/// The certificate as the requester receives it: a summary, then the signed document.
pub fn certificate_text(certificate: &ErasureCertificate) -> String {
    let mut text = String::from("What was erased:\n");
    for s in &certificate.erased {
        text.push_str(&format!("- {}: {}\n", s.topic, s.text));
    }
    text.push_str("\nWhat was kept, why and until when:\n");
    for k in &certificate.kept {
        text.push_str(&format!("- {} ({}), until {}.\n", k.what, k.why, k.until));
    }
    text.push_str(&format!("\nBackups: {}\n", certificate.backups.text));
    text.push_str(
        "\nThe signed certificate follows; the platform's public key to verify it is published by the shop's platform.\n\n",
    );
    text.push_str(&serde_json::to_string_pretty(certificate).unwrap_or_default());
    text
}

impl Orders {
    /// The shop's public address (`https://<first host>[:port]`).
    pub(crate) fn shop_url(&self, hosts: &[String]) -> Option<String> {
        let host = hosts.first()?;
        Some(match self.privacy.storefront_port {
            443 => format!("https://{host}"),
            port => format!("https://{host}:{port}"),
        })
    }

    /// Writes the mail of `kind` about `request`; none when nobody can receive it (the
    /// address was erased) or its secret is gone.
    pub(crate) async fn request_mail(
        &self,
        tx: &mut TenantTx,
        kind: &str,
        request: RequestId,
    ) -> Result<Option<RequestMail>> {
        let Some(row) = db::privacy::find_for_update(tx, request).await? else {
            return Ok(None);
        };
        let Some(to) = self
            .open_text(tx, EMAIL_FIELD, row.email_sealed.as_deref())
            .await?
        else {
            return Ok(None);
        };
        let (shop_name, _, _, _, hosts) = db::subjects::shop_facts(tx).await?;
        let Some(base) = self.shop_url(&hosts) else {
            return Ok(None);
        };
        let asked = what(row.kind);
        let deadline = row
            .extended_to
            .or(row.due_on)
            .map(|d| d.format("%-d %B %Y").to_string())
            .unwrap_or_default();
        let (subject, body, after) = match kind {
            VERIFY => {
                let Some(token) = self
                    .open_text(tx, TOKEN_FIELD, row.verify_token_sealed.as_deref())
                    .await?
                else {
                    return Ok(None);
                };
                (
                    format!("Please confirm your request to {shop_name}"),
                    format!(
                        "Someone, probably you, asked {shop_name} for {asked}, giving this address.\n\n\
                         To confirm, open this link within 24 hours and press the button:\n{base}/privacy/confirm/{token}\n\n\
                         If it was not you, ignore this message: nothing happens without confirmation."
                    ),
                    After::Token(row.id),
                )
            }
            EXTENDED => (
                format!("{shop_name} needs more time for your request"),
                format!(
                    "{shop_name} needs more time to answer your request for {asked}. The new deadline is {deadline}.\n\nTheir reason:\n{}",
                    row.extension_reason.as_deref().unwrap_or_default()
                ),
                After::Nothing,
            ),
            EXPORT => {
                let Some((export, Some(sealed), expires)) =
                    db::privacy::latest_export(tx, row.id).await?
                else {
                    return Ok(None);
                };
                let Some(token) = self.open_text(tx, TOKEN_FIELD, Some(&sealed)).await? else {
                    return Ok(None);
                };
                (
                    format!("Your data from {shop_name}"),
                    format!(
                        "Here is a copy of everything {shop_name} holds about you, as you asked.\n\n\
                         Open it here (as a page, with a link to the machine-readable JSON):\n{base}/privacy/export/{token}\n\n\
                         The link works until {}; the copy is then deleted.",
                        expires.format("%-d %B %Y %H:%M UTC")
                    ),
                    After::ExportToken(export),
                )
            }
            REFUSED => (
                format!("About your request to {shop_name}"),
                format!(
                    "{shop_name} cannot fulfil your request for {asked}.\n\nTheir reason:\n{}\n\n\
                     You can complain to your data protection authority or seek a judicial remedy.",
                    row.outcome.as_deref().unwrap_or_default()
                ),
                After::Nothing,
            ),
            COMPLETED => (
                format!("Your data at {shop_name} was corrected"),
                format!(
                    "{shop_name} has corrected your data as you asked.{}",
                    row.outcome
                        .as_deref()
                        .map(|n| format!("\n\nTheir note:\n{n}"))
                        .unwrap_or_default()
                ),
                After::Nothing,
            ),
            CERTIFICATE => {
                let Some(value) = &row.certificate else {
                    return Ok(None);
                };
                let certificate: ErasureCertificate = serde_json::from_value(value.clone())?;
                (
                    format!("Your data at {shop_name} was erased"),
                    format!(
                        "{shop_name} has erased your data as you asked.\n\n{}",
                        certificate_text(&certificate)
                    ),
                    After::Requester(Box::new(row)),
                )
            }
            _ => return Ok(None),
        };
        Ok(Some(RequestMail {
            shop_name,
            to,
            subject,
            body: format!("{body}{FOOTER}"),
            after,
        }))
    }

    /// What a request's mail leaves behind once it has left: nothing secret.
    pub(crate) async fn request_mail_sent(&self, tx: &mut TenantTx, after: After) -> Result<()> {
        match after {
            After::Nothing => {}
            After::Token(id) => db::privacy::forget_token(tx, id).await?,
            After::ExportToken(id) => db::privacy::forget_export_token(tx, id).await?,
            After::Requester(row) => self.forget_requester(tx, &row).await?,
        }
        Ok(())
    }
}
