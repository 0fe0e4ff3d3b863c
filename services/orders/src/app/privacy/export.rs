//! The answer to an access request (O13, GDPR Art. 15): everything the shop holds about
//! the requester, and what the law asks to be said about it, sealed under the requester's
//! key and fetched by a 3-day link.

use chrono::Utc;
use platform_domain::{RequestId, RequestKind, RequestStatus};
use platform_orders_api::{
    Address, Article15, Contact, ErrorCode, ExportView, ExportedOrder, RequestAction,
    RequestDetail, ShopFacts, ShopOrders, Statement, SubjectExport,
};
use platform_tenancy::{TenantId, TenantTx};

use platform_auth::Token;

use super::{EMAIL_FIELD, Orders, Result, TOKEN_FIELD, hash_of, mail, open_of_kind};
use crate::app::{CONTACT_FIELD, SHIPPING_FIELD};
use crate::db::{self, privacy::RequestRow};
use crate::error::OrdersError;

/// Vault context of a sealed export document.
const DOCUMENT_FIELD: &str = "privacy.export";

fn statement(topic: &str, text: impl Into<String>) -> Statement {
    Statement {
        topic: topic.to_owned(),
        text: text.into(),
    }
}

/// What Art. 15(1)(a)–(h) and 15(2) ask to be said, for this shop.
fn article15(shop: &str, accounting_years: i32, contact: &str) -> Article15 {
    let ask = if contact.is_empty() {
        format!("through {shop}'s privacy page")
    } else {
        format!("at {contact} or through {shop}'s privacy page")
    };
    Article15 {
        purposes: vec![
            statement(
                "Your orders",
                "To take, pay for, ship and support your orders (a contract with you, Art. 6(1)(b)).",
            ),
            statement(
                "Accounts and tax",
                "To keep the accounting records the law requires (a legal obligation, Art. 6(1)(c)).",
            ),
            statement(
                "Security",
                "To prevent fraud and abuse: the network address an order came from (legitimate interest, Art. 6(1)(f)).",
            ),
            statement(
                "Your requests",
                "To answer requests like this one and prove they were answered (a legal obligation, Art. 6(1)(c)).",
            ),
        ],
        categories: vec![
            statement("Contact", "Name, email address and phone number you gave at checkout."),
            statement("Shipping", "The delivery address you gave."),
            statement(
                "Billing",
                "Amounts paid and refunded, the card's brand, last four digits and expiry (never the card number).",
            ),
            statement("Network", "The IP address each order was placed from."),
            statement("Activity", "Your orders, the mail sent to you and your requests."),
        ],
        recipients: vec![
            statement(
                "The platform",
                format!(
                    "The commerce platform {shop} runs on hosts and processes all of the above only on {shop}'s instructions (a processor, Art. 28). Its staff can see your data only with {shop}'s approval, for a stated reason and a limited time; every such look is listed below."
                ),
            ),
            statement(
                "The payment processor",
                "Receives the order's amount and reference; you typed your card on its page, so it holds your card details, not the shop.",
            ),
            statement(
                "The carrier",
                "Receives the delivery name, address and phone of shipped orders, and nothing else.",
            ),
            statement(
                "Nobody else",
                format!("{shop} does not sell your data or pass it to anyone else for their own use."),
            ),
        ],
        retention: vec![
            statement(
                "Contact, shipping, network and card details",
                "Until you ask for them to be erased, or until the shop's retention period for them ends.",
            ),
            statement(
                "Order records",
                format!(
                    "Order numbers, amounts, tax and destination country are kept for {accounting_years} years for the accounts, without your name or address once erased."
                ),
            ),
            statement(
                "This export",
                "The link works for 3 days; the copy is then deleted.",
            ),
            statement(
                "Backups",
                "Encrypted backups are kept for at most about a year; erased data in them cannot be read and is erased again on any restore.",
            ),
        ],
        source: "You gave these details yourself when you ordered; the network address came with your order.".to_owned(),
        rights: vec![
            format!("You can ask for a copy, a correction or erasure of your data {ask}."),
            "You can object to processing based on legitimate interest, and ask for it to be restricted.".to_owned(),
            "You can receive the data you gave in this machine-readable form and take it elsewhere.".to_owned(),
            "You can complain to your data protection authority.".to_owned(),
        ],
        automated_decisions: "None: no decision about you is made automatically and there is no profiling.".to_owned(),
        transfers: "None outside the European Economic Area by the platform.".to_owned(),
    }
}

impl Orders {
    /// Puts the requester's export together, seals it under their key, queues the mail
    /// with its 3-day link and completes the request.
    pub async fn send_export(
        &self,
        tenant: TenantId,
        id: RequestId,
        action: RequestAction,
    ) -> Result<RequestDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let row = self.locked(&mut tx, id).await?;
        open_of_kind(&row, Some(RequestKind::Access))?;
        let document = self.gather(&mut tx, &row).await?;
        let token = Token::generate();
        let sealed_document = self
            .vault
            .seal_for_subject(
                &mut tx,
                row.subject_id,
                DOCUMENT_FIELD,
                &serde_json::to_vec(&document)?,
            )
            .await?;
        let sealed_token = self
            .vault
            .seal_for_subject(
                &mut tx,
                row.subject_id,
                TOKEN_FIELD,
                token.as_str().as_bytes(),
            )
            .await?;
        db::privacy::insert_export(
            &mut tx,
            id,
            &token.digest(),
            sealed_token.as_bytes(),
            sealed_document.as_bytes(),
        )
        .await?;
        db::privacy::close(
            &mut tx,
            id,
            RequestStatus::Completed,
            action.staff_id.as_uuid(),
            Some("A copy of your data was sent to you."),
            None,
        )
        .await?;
        db::privacy::enqueue(&mut tx, id, mail::EXPORT).await?;
        let detail = self.detail_in(&mut tx, id).await?;
        tx.commit().await?;
        tracing::info!(tenant_id = %tenant, request_id = %id, "export sent");
        Ok(detail)
    }

    /// Everything the shop holds about the requester of `row`.
    async fn gather(&self, tx: &mut TenantTx, row: &RequestRow) -> Result<SubjectExport> {
        let email = self
            .open_text(tx, EMAIL_FIELD, row.email_sealed.as_deref())
            .await?
            .unwrap_or_default();
        let (name, contact_email, accounting_years, _, _) = db::subjects::shop_facts(tx).await?;
        let index = row.email_index.clone().unwrap_or_default();
        let held = db::subjects::orders_of(tx, &index).await?;
        let mut orders = Vec::with_capacity(held.len());
        for h in &held {
            if let Some(order) = self.exported_order(tx, h.id).await? {
                orders.push(order);
            }
        }
        let requests = db::privacy::requests_of(tx, &index).await?;
        let consents = self.consents_of(tx, &index).await?;
        let order_ids: Vec<_> = held.iter().map(|h| h.id).collect();
        let request_ids: Vec<_> = requests.iter().map(|r| r.id).collect();
        let mails = db::subjects::mails_of(tx, &order_ids, &request_ids).await?;
        let objects: Vec<String> = order_ids
            .iter()
            .map(|id| format!("order:{id}"))
            .chain(request_ids.iter().map(|id| format!("request:{id}")))
            .collect();
        let reads = db::subjects::reads_of(tx, &objects).await?;
        Ok(SubjectExport {
            format: "subject-export/1".to_owned(),
            generated_at: Utc::now(),
            about: article15(&name, accounting_years, &contact_email),
            shop: ShopFacts {
                name,
                contact_email,
            },
            request: row.id,
            email,
            orders,
            consents,
            mails,
            requests: db::privacy::exported(&requests),
            reads,
        })
    }

    /// One order as an export shows it: everything stored on it, details opened.
    async fn exported_order(
        &self,
        tx: &mut TenantTx,
        id: platform_domain::OrderId,
    ) -> Result<Option<ExportedOrder>> {
        let Some(o) = db::orders::find(tx, id).await? else {
            return Ok(None);
        };
        let contact: Option<Contact> = match &o.contact_sealed {
            Some(bytes) => self.open(tx, CONTACT_FIELD, bytes).await?,
            None => None,
        };
        let shipping: Option<Address> = match &o.shipping_sealed {
            Some(bytes) => self.open(tx, SHIPPING_FIELD, bytes).await?,
            None => None,
        };
        Ok(Some(ExportedOrder {
            reference: o.reference,
            placed_at: o.created_at,
            status: o.status,
            currency: o.currency.to_string(),
            subtotal_minor: o.subtotal_minor,
            shipping_minor: o.shipping_minor,
            tax_minor: o.tax_minor,
            total_minor: o.total_minor,
            refunded_minor: o.refunded_minor,
            lines: db::orders::lines(tx, id).await?,
            contact,
            shipping,
            buyer_ip: o.buyer_ip.map(|ip| ip.to_string()),
            payment: db::payments::find(tx, id).await?.map(Into::into),
            shipment: db::orders::shipment(tx, id).await?,
            events: db::orders::events(tx, id).await?,
        }))
    }

    /// Every order of the shop as an export shows it, oldest first (the merchant's
    /// export of the whole shop, O13).
    pub async fn shop_orders(&self, tenant: TenantId) -> Result<ShopOrders> {
        let mut tx = self.db.begin(tenant).await?;
        let ids = db::subjects::all_orders(&mut tx).await?;
        let mut orders = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(order) = self.exported_order(&mut tx, id).await? {
                orders.push(order);
            }
        }
        tx.commit().await?;
        Ok(ShopOrders { orders })
    }

    /// An export by its link's token, while the link works.
    pub async fn export_by_token(&self, tenant: TenantId, token: &str) -> Result<ExportView> {
        let gone = || {
            OrdersError::refused(
                ErrorCode::LinkInvalid,
                "This link is not valid any more: exports can be fetched for 3 days. Please ask again on the shop's privacy page.",
            )
        };
        let hash = hash_of(token).ok_or_else(gone)?;
        let mut tx = self.db.begin(tenant).await?;
        let Some((_, sealed, expires_at)) = db::privacy::open_export(&mut tx, &hash).await? else {
            return Err(gone());
        };
        let document: Option<SubjectExport> = self.open(&mut tx, DOCUMENT_FIELD, &sealed).await?;
        tx.commit().await?;
        let document = document.ok_or_else(gone)?;
        Ok(ExportView {
            document,
            expires_at,
        })
    }
}
