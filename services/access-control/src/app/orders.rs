//! A shop's orders under a grant (O8, O21, O22). The database decides what comes back
//! (rows only under an active grant, personal columns NULL outside its classes); this
//! module opens what came back, masks by the same classes, and writes one audit event per
//! page or order naming the operator, the grant, its approver, the objects and the
//! classes revealed, in the same transaction as the read.

use chrono::{DateTime, Utc};
use platform_audit::Event;
use platform_domain::{DataClass, Shown};
use platform_orders_api::{Address, CONTACT_FIELD, Contact, SHIPPING_FIELD};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::Sealed;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::app::grants::{actor, purpose_text};
use crate::app::operator::Operator;
use crate::db;
use crate::db::grants::Grant;
use crate::error::ApiError;

/// Orders per page.
const PAGE: i32 = 50;

/// An order as a grant shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeenOrder {
    /// Its id.
    pub id: Uuid,
    /// Its number.
    pub number: i64,
    /// Its number as the shop shows it.
    pub reference: String,
    /// Where it stands.
    pub status: String,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// The shop's currency.
    pub currency: String,
    /// Name, email and phone (`contact`), or `"••••"`.
    #[schema(value_type = Object)]
    pub contact: Shown<Option<ContactView>>,
    /// The delivery address (`shipping`), or `"••••"`.
    #[schema(value_type = Object)]
    pub shipping: Shown<Option<AddressView>>,
    /// The buyer's IP address (`network`), or `"••••"`.
    #[schema(value_type = Object)]
    pub buyer_ip: Shown<Option<String>>,
    /// Totals and the card (`billing`), or `"••••"`.
    #[schema(value_type = Object)]
    pub billing: Shown<BillingView>,
    /// How it ships (no personal data).
    pub shipping_rate: Option<String>,
    /// The carrier and tracking number, once shipped.
    pub tracking: Option<String>,
    /// When it left.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When it arrived.
    pub delivered_at: Option<DateTime<Utc>>,
    /// What was bought (only on one order's page).
    pub lines: Vec<LineView>,
}

/// Contact details.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
}

/// A delivery address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressView {
    /// Recipient.
    pub name: String,
    /// Street.
    pub line1: String,
    /// More.
    pub line2: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Region.
    pub region: String,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
}

/// Billing data of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BillingView {
    /// Before shipping and tax.
    pub subtotal_minor: Option<i64>,
    /// Shipping.
    pub shipping_minor: Option<i64>,
    /// Tax.
    pub tax_minor: Option<i64>,
    /// Total.
    pub total_minor: Option<i64>,
    /// Refunded so far.
    pub refunded_minor: Option<i64>,
    /// Card brand and last four, with expiry.
    pub card: Option<String>,
}

/// A line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    /// Product and variant.
    pub title: String,
    /// How many.
    pub quantity: i32,
    /// Unit price, minor units.
    pub unit_minor: i64,
}

/// A page of orders with the grant it was read under.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeenPage {
    /// The grant.
    pub grant_id: Uuid,
    /// The classes it reveals.
    pub classes: Vec<String>,
    /// When it ends.
    pub ends_at: Option<DateTime<Utc>>,
    /// Newest first.
    pub orders: Vec<SeenOrder>,
    /// The next page's `before`.
    pub next_before: Option<i64>,
}

async fn open<T: serde::de::DeserializeOwned>(
    state: &AppState,
    tx: &mut TenantTx,
    context: &str,
    bytes: Option<&[u8]>,
) -> Result<Option<T>, ApiError> {
    let Some(bytes) = bytes else { return Ok(None) };
    let sealed = Sealed::from_bytes(bytes.to_vec())?;
    match state.vault.open(tx, context, &sealed).await {
        Ok(plain) => Ok(Some(serde_json::from_slice(&plain)?)),
        // Erased buyer: nothing to show.
        Err(platform_vault::VaultError::KeyDestroyed) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn view(
    state: &AppState,
    tx: &mut TenantTx,
    grant: &Grant,
    row: db::orders::Seen,
    revealed: &mut Vec<DataClass>,
) -> Result<SeenOrder, ApiError> {
    let has = |c: DataClass| grant.classes.iter().any(|g| g == c.as_str());
    let mut reveal = |c: DataClass, shown: bool| {
        if shown && !revealed.contains(&c) {
            revealed.push(c);
        }
    };
    let contact: Option<Contact> = if has(DataClass::Contact) {
        open(state, tx, CONTACT_FIELD, row.contact_sealed.as_deref()).await?
    } else {
        None
    };
    let shipping: Option<Address> = if has(DataClass::Shipping) {
        open(state, tx, SHIPPING_FIELD, row.shipping_sealed.as_deref()).await?
    } else {
        None
    };
    reveal(DataClass::Contact, contact.is_some());
    reveal(DataClass::Shipping, shipping.is_some());
    reveal(
        DataClass::Network,
        has(DataClass::Network) && row.buyer_ip.is_some(),
    );
    reveal(DataClass::Billing, has(DataClass::Billing));
    let card = match (&row.card_brand, &row.card_last4) {
        (Some(brand), Some(last4)) => Some(format!(
            "{brand} ···· {last4}{}",
            match (row.card_exp_month, row.card_exp_year) {
                (Some(m), Some(y)) => format!(", expires {m:02}/{y}"),
                _ => String::new(),
            }
        )),
        _ => None,
    };
    Ok(SeenOrder {
        id: row.id,
        number: row.number,
        reference: row.reference,
        status: row.status,
        created_at: row.created_at,
        currency: row.currency,
        contact: Shown::new(
            has(DataClass::Contact),
            contact.map(|c| ContactView {
                name: c.name,
                email: c.email,
                phone: c.phone,
            }),
        ),
        shipping: Shown::new(
            has(DataClass::Shipping),
            shipping.map(|a| AddressView {
                name: a.name,
                line1: a.line1,
                line2: a.line2,
                postal_code: a.postal_code,
                city: a.city,
                region: a.region,
                country: a.country,
            }),
        ),
        buyer_ip: Shown::new(
            has(DataClass::Network),
            row.buyer_ip.map(|ip| ip.to_string()),
        ),
        billing: Shown::new(
            has(DataClass::Billing),
            BillingView {
                subtotal_minor: row.subtotal_minor,
                shipping_minor: row.shipping_minor,
                tax_minor: row.tax_minor,
                total_minor: row.total_minor,
                refunded_minor: row.refunded_minor,
                card,
            },
        ),
        shipping_rate: row.shipping_rate_name,
        tracking: match (row.carrier, row.tracking_number) {
            (Some(c), Some(t)) => Some(format!("{c} {t}")),
            _ => None,
        },
        shipped_at: row.shipped_at,
        delivered_at: row.delivered_at,
        lines: Vec::new(),
    })
}

/// Opens the shop's transaction as the operator and finds their active grant.
async fn under_grant(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
) -> Result<(TenantTx, Grant), ApiError> {
    let mut tx = state
        .db
        .begin_operator(TenantId::from_uuid(shop), operator.id)
        .await?;
    let grant = db::grants::active(&mut tx, operator.id)
        .await?
        .ok_or(ApiError::NoGrant)?;
    Ok((tx, grant))
}

/// Writes the read to the shop's audit log, marks the grant used (the first use is an
/// event of its own and a mail to the owners), and commits.
async fn log_read(
    state: &AppState,
    mut tx: TenantTx,
    operator: &Operator,
    grant: &Grant,
    action: &str,
    orders: &[Uuid],
    revealed: Vec<DataClass>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let mut objects = vec![format!("grant:{}", grant.id)];
    if let Some(approver) = grant.decided_by {
        objects.push(format!("approver:{approver}"));
    }
    objects.extend(orders.iter().map(|o| format!("order:{o}")));
    let who = actor(operator, &grant.operator_role);
    if db::grants::mark_used(&mut tx, grant.id, now).await? {
        db::grants::notify(&mut tx, grant.id, "first_use", now).await?;
        platform_audit::append(
            &mut tx,
            now,
            &Event {
                actor: who.clone(),
                action: "grant.first_use".to_owned(),
                objects: objects[..objects.len() - orders.len()].to_vec(),
                classes: Vec::new(),
                purpose: purpose_text(grant),
                request_id: operator.request_id.clone(),
            },
        )
        .await?;
    }
    platform_audit::append(
        &mut tx,
        now,
        &Event {
            actor: who,
            action: action.to_owned(),
            objects,
            classes: revealed,
            purpose: purpose_text(grant),
            request_id: operator.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    let mut tx = state.db.platform().await?;
    crate::db::staff::touch_roles(&mut tx, operator.id, &[grant.operator_role.as_str()], now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A page of the shop's orders under the operator's active grant.
pub async fn list(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    before: Option<i64>,
) -> Result<SeenPage, ApiError> {
    let (mut tx, grant) = under_grant(state, operator, shop).await?;
    let rows = db::orders::page(&mut tx, before, PAGE).await?;
    let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
    let mut revealed = Vec::new();
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(view(state, &mut tx, &grant, row, &mut revealed).await?);
    }
    let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    log_read(state, tx, operator, &grant, "order.list", &ids, revealed).await?;
    Ok(SeenPage {
        grant_id: grant.id,
        classes: grant.classes.clone(),
        ends_at: grant.ends_at,
        next_before: if full {
            orders.last().map(|o| o.number)
        } else {
            None
        },
        orders,
    })
}

/// One order under the operator's active grant.
pub async fn detail(
    state: &AppState,
    operator: &Operator,
    shop: Uuid,
    id: Uuid,
) -> Result<SeenOrder, ApiError> {
    let (mut tx, grant) = under_grant(state, operator, shop).await?;
    let row = db::orders::one(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut revealed = Vec::new();
    let mut order = view(state, &mut tx, &grant, row, &mut revealed).await?;
    order.lines = db::orders::lines(&mut tx, id)
        .await?
        .into_iter()
        .map(|l| LineView {
            title: format!("{} – {}", l.product, l.variant),
            quantity: l.quantity,
            unit_minor: l.unit_minor,
        })
        .collect();
    log_read(state, tx, operator, &grant, "order.view", &[id], revealed).await?;
    Ok(order)
}
