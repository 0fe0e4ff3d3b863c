//! Erasure (O11, O14, GDPR Art. 17): every personal column of the requester's orders,
//! payments and earlier requests removed, their keys destroyed and the people recorded in
//! the erasure ledger (every later restore erases them again); the order records the
//! accounts need stay, pseudonymised. The shop and the requester receive a certificate
//! signed by the platform.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use platform_domain::{OrderStatus, RequestId, RequestKind, RequestStatus};
use platform_orders_api::{
    Address, BackupStatement, CertificateKey, CertificateSignature, ErasureCertificate, KeptRecord,
    RequestAction, RequestDetail, Statement,
};
use platform_tenancy::{TenantId, TenantTx};

use super::{Orders, Result, open_of_kind, state};
use crate::app::SHIPPING_FIELD;
use crate::db::{self, privacy::RequestRow};

/// Years the record of an answered request is kept, as proof it was answered.
const REQUEST_RECORD_YEARS: i32 = 3;

/// What the erasure touched, for the certificate.
struct Erased {
    orders: usize,
    with_address: usize,
    paid: usize,
    earlier_requests: usize,
    subscriptions: usize,
    last_order: Option<DateTime<Utc>>,
}

fn statement(topic: &str, text: String) -> Statement {
    Statement {
        topic: topic.to_owned(),
        text,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The last day of the year `years` after `from`'s year: accounting periods run to the
/// end of a calendar year in most of the EU.
fn end_of_year_after(from: NaiveDate, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(from.year() + years, 12, 31).unwrap_or(from)
}

impl Orders {
    /// Erases the requester of an open erasure request and completes it with a signed
    /// certificate. An order that is paid and not yet shipped must be shipped or refunded
    /// first: its address is still needed to deliver it.
    pub async fn erase_request(
        &self,
        tenant: TenantId,
        id: RequestId,
        action: RequestAction,
    ) -> Result<RequestDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let row = self.locked(&mut tx, id).await?;
        open_of_kind(&row, Some(RequestKind::Erasure))?;
        let index = row.email_index.clone().unwrap_or_default();
        let held = db::subjects::orders_of(&mut tx, &index).await?;
        if let Some(waiting) = held.iter().find(|h| h.status == OrderStatus::Paid) {
            return Err(state(format!(
                "Order {} is paid and not shipped yet: ship or refund it first, then erase.",
                waiting.reference
            )));
        }
        // The accounts keep each order's destination country: read it before the address
        // goes (orders placed before the country was kept on the row).
        for h in held.iter().filter(|h| h.country.is_none()) {
            if let Some(bytes) = &h.shipping_sealed
                && let Some(address) = self.open::<Address>(&mut tx, SHIPPING_FIELD, bytes).await?
                && platform_domain::Country::parse(&address.country).is_ok()
            {
                db::subjects::set_country(&mut tx, h.id, &address.country).await?;
            }
        }
        let earlier: Vec<RequestRow> = db::privacy::requests_of(&mut tx, &index)
            .await?
            .into_iter()
            .filter(|r| r.id != id)
            .collect();
        let subscriptions = self.subscription_subjects(&mut tx, &index).await?;
        // A child's orders take the guardian's address on their consents with them.
        let guardians = db::guardians::subjects_of_orders(
            &mut tx,
            &held.iter().map(|h| h.id).collect::<Vec<_>>(),
        )
        .await?;
        let subjects: Vec<_> = held
            .iter()
            .map(|h| h.subject_id)
            .chain(earlier.iter().map(|r| r.subject_id))
            .chain(subscriptions.iter().copied())
            .chain(guardians.iter().copied())
            .collect();
        let changed = db::subjects::erase(&mut tx, &subjects).await?;
        for subject in &subjects {
            self.vault.shred_subject(&mut tx, *subject).await?;
        }
        let paid =
            db::subjects::count_paid(&mut tx, &held.iter().map(|h| h.id).collect::<Vec<_>>())
                .await?;
        let erased = Erased {
            orders: held.len(),
            with_address: held.iter().filter(|h| h.shipping_sealed.is_some()).count(),
            paid: usize::try_from(paid).unwrap_or(0),
            earlier_requests: earlier.len(),
            subscriptions: subscriptions.len(),
            last_order: held.iter().map(|h| h.created_at).max(),
        };
        let certificate = self.certificate(&mut tx, tenant, id, &erased).await?;
        db::privacy::close(
            &mut tx,
            id,
            RequestStatus::Completed,
            action.staff_id.as_uuid(),
            Some("Your data was erased. The certificate lists what was kept, why and until when."),
            Some(&serde_json::to_value(&certificate)?),
        )
        .await?;
        db::privacy::enqueue(&mut tx, id, super::mail::CERTIFICATE).await?;
        let detail = self.detail_in(&mut tx, id).await?;
        tx.commit().await?;
        tracing::info!(
            tenant_id = %tenant,
            request_id = %id,
            subjects = subjects.len(),
            rows = changed,
            "requester erased"
        );
        Ok(detail)
    }

    /// After the certificate has reached the requester, their email on the request goes
    /// too: only the request's kind, dates, outcome and certificate stay.
    pub(super) async fn forget_requester(&self, tx: &mut TenantTx, row: &RequestRow) -> Result<()> {
        db::subjects::erase(tx, &[row.subject_id]).await?;
        self.vault.shred_subject(tx, row.subject_id).await?;
        Ok(())
    }

    /// The platform's public key for certificates.
    pub fn certificate_key(&self) -> CertificateKey {
        let key = self.privacy.certificate_key.verifying_key();
        CertificateKey {
            key_id: key.key_id().to_owned(),
            public_key: key.to_base64(),
        }
    }

    async fn certificate(
        &self,
        tx: &mut TenantTx,
        tenant: TenantId,
        request: RequestId,
        erased: &Erased,
    ) -> Result<ErasureCertificate> {
        let (shop_name, _, accounting_years, backup_days, _) = db::subjects::shop_facts(tx).await?;
        let now = Utc::now();
        let today = now.date_naive();
        let mut gone = Vec::new();
        if erased.orders > 0 {
            gone.push(statement(
                "Contact details",
                format!(
                    "Name, email address and phone number on {}: removed, and the key that sealed them destroyed.",
                    plural(erased.orders, "order", "orders")
                ),
            ));
            gone.push(statement(
                "Network addresses",
                format!(
                    "The IP address {} placed from: removed.",
                    if erased.orders == 1 {
                        "the order was"
                    } else {
                        "each order was"
                    }
                ),
            ));
        }
        if erased.with_address > 0 {
            gone.push(statement(
                "Delivery addresses",
                format!(
                    "The delivery address on {}: removed, and its key destroyed.",
                    plural(erased.with_address, "order", "orders")
                ),
            ));
        }
        if erased.paid > 0 {
            gone.push(statement(
                "Card details",
                format!(
                    "Card brand, last four digits, expiry and the payment processor's token on {}: removed.",
                    plural(erased.paid, "payment", "payments")
                ),
            ));
        }
        if erased.subscriptions > 0 {
            gone.push(statement(
                "Newsletter subscriptions",
                format!(
                    "{} with its consent record (when, where, how, which policy): deleted, and the key that sealed the address destroyed. No newsletter is sent to you any more.",
                    plural(erased.subscriptions, "subscription", "subscriptions")
                ),
            ));
        }
        if erased.earlier_requests > 0 {
            gone.push(statement(
                "Earlier requests",
                format!(
                    "The email address and details of {}: removed, and their keys destroyed.",
                    plural(
                        erased.earlier_requests,
                        "earlier request",
                        "earlier requests"
                    )
                ),
            ));
        }
        gone.push(statement(
            "This request",
            "Your email address on this request: removed, and its key destroyed, as soon as this certificate has been sent to you.".to_owned(),
        ));
        let mut kept = Vec::new();
        if let Some(last) = erased.last_order {
            let until = end_of_year_after(last.date_naive(), accounting_years);
            kept.push(KeptRecord {
                what: format!(
                    "{}: order number, date, items, amounts, tax and destination country, without any name, address or contact",
                    plural(erased.orders, "order record", "order records")
                ),
                why: "The shop must keep its accounting and tax records by law (GDPR Art. 17(3)(b)).".to_owned(),
                until,
            });
            kept.push(KeptRecord {
                what: "Entries in the shop's audit log saying which staff looked at these orders, when and which kind of data (never the data itself)".to_owned(),
                why: "A security record that cannot be altered, kept as long as the orders it refers to.".to_owned(),
                until,
            });
        }
        let cart_days = db::subjects::cart_days(tx).await?;
        kept.push(KeptRecord {
            what: "Details typed into a cart that was never checked out, if any: sealed, and not linked to your email".to_owned(),
            why: "A cart is not tied to a person; it expires on its own after its last use.".to_owned(),
            until: today + Duration::days(i64::from(cart_days)),
        });
        kept.push(KeptRecord {
            what: "The record of this request: its kind, dates, outcome and this certificate"
                .to_owned(),
            why: "Proof that the request was answered in time (GDPR Art. 5(2)).".to_owned(),
            until: end_of_year_after(today, REQUEST_RECORD_YEARS),
        });
        let last_backup = today + Duration::days(i64::from(backup_days) + 1);
        let mut certificate = ErasureCertificate {
            format: "erasure-certificate/1".to_owned(),
            request,
            shop_id: tenant.to_string(),
            shop_name,
            erased_at: now,
            erased: gone,
            kept,
            backups: BackupStatement {
                text: format!(
                    "Encrypted backups of the shop made before {} still contain the erased details as ciphertext under keys that were destroyed, so nobody can read them. If one is ever restored, this erasure is applied again from the erasure ledger before the shop serves. The last of them expires and is deleted by {}.",
                    now.format("%Y-%m-%d %H:%M UTC"),
                    last_backup
                ),
                last_expires_on: last_backup,
            },
            signature: None,
        };
        let key = &self.privacy.certificate_key;
        certificate.signature = Some(CertificateSignature {
            algorithm: "Ed25519".to_owned(),
            key_id: key.key_id().to_owned(),
            value: B64.encode(key.sign_record(&certificate.signed_bytes())),
        });
        Ok(certificate)
    }
}
