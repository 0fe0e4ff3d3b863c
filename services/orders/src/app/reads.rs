//! Reading orders: a page of the list, one order with the buyer's details opened (for the
//! merchant), the buyer's own view by public code (no personal data), and the answer a
//! finished idempotency key gave.

use platform_domain::OrderId;
use platform_orders_api::{
    Address, BuyerOrder, Contact, ErrorCode, OrderDetail, OrderList, OrderListQuery, OrderSummary,
    PlacedOrder,
};
use platform_tenancy::{TenantId, TenantTx};
use platform_vault::{Sealed, VaultError};

use super::idempotency::IdempotencyKey;
use super::{CONTACT_FIELD, Orders, Result, SHIPPING_FIELD};
use crate::db::{self, catalog};
use crate::error::OrdersError;

impl Orders {
    /// The order a finished key placed: for a caller that sends the same order again but
    /// no longer has its body (the buyer's cart was cleared by the first send). The key is
    /// the caller's secret; it reveals no more than the first answer did.
    pub async fn placed_by_key(
        &self,
        tenant: TenantId,
        key: IdempotencyKey,
    ) -> Result<PlacedOrder> {
        let mut tx = self.db.begin(tenant).await?;
        let answer = db::idempotency::answer(&mut tx, &key).await?;
        tx.commit().await?;
        match answer {
            Some(body) => Ok(serde_json::from_value(body)?),
            None => Err(OrdersError::NotFound),
        }
    }

    /// A page of the shop's orders, newest first.
    pub async fn list(&self, tenant: TenantId, query: OrderListQuery) -> Result<OrderList> {
        let limit = i64::from(query.limit.unwrap_or(50));
        if !(1..=200).contains(&limit) {
            return Err(OrdersError::refused(
                ErrorCode::QueryInvalid,
                "A page holds 1 to 200 orders.",
            ));
        }
        if query.before.is_some_and(|b| b < 1) {
            return Err(OrdersError::refused(
                ErrorCode::QueryInvalid,
                "Order numbers start at 1.",
            ));
        }
        let mut tx = self.db.begin(tenant).await?;
        let number = match query.number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                let prefix = catalog::settings(&mut tx).await?.number_prefix;
                let digits = text
                    .strip_prefix(prefix.as_str())
                    .filter(|_| !prefix.is_empty())
                    .unwrap_or(text)
                    .trim_start_matches('#');
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 => Some(n),
                    // No order has a number that is no number.
                    _ => Some(0),
                }
            }
        };
        let orders = db::orders::list(&mut tx, &query, number, limit).await?;
        tx.commit().await?;
        let next_before = (orders.len() as i64 == limit)
            .then(|| orders.last().map(|o: &OrderSummary| o.number))
            .flatten();
        Ok(OrderList {
            orders,
            next_before,
        })
    }

    /// One order with the buyer's details opened, for the merchant (O1).
    pub async fn detail(&self, tenant: TenantId, id: OrderId) -> Result<OrderDetail> {
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let contact = self
            .open_contact(&mut tx, row.contact_sealed.as_deref())
            .await?;
        let shipping: Option<Address> = match &row.shipping_sealed {
            Some(bytes) => self.open(&mut tx, SHIPPING_FIELD, bytes).await?,
            None => None,
        };
        let lines = db::orders::lines(&mut tx, id).await?;
        let events = db::orders::events(&mut tx, id).await?;
        let payment = db::payments::find(&mut tx, id).await?.map(Into::into);
        let shipment = db::orders::shipment(&mut tx, id).await?;
        tx.commit().await?;
        Ok(OrderDetail {
            summary: OrderSummary {
                id: row.id,
                number: row.number,
                reference: row.reference,
                status: row.status,
                currency: row.currency,
                total_minor: row.total_minor,
                item_count: row.item_count,
                created_at: row.created_at,
            },
            lines,
            subtotal_minor: row.subtotal_minor,
            shipping_minor: row.shipping_minor,
            tax_minor: row.tax_minor,
            tax_rate_bp: row.tax_rate_bp,
            tax_inclusive: row.tax_inclusive,
            refunded_minor: row.refunded_minor,
            shipping_rate_name: row.shipping_rate_name,
            contact,
            shipping,
            buyer_ip: row.buyer_ip,
            erased_at: row.erased_at,
            hold_until: row.hold_until,
            payment,
            shipment,
            events,
        })
    }

    /// Opens a sealed document; none once the buyer's key was shredded (erasure, O14).
    pub(crate) async fn open<T: serde::de::DeserializeOwned>(
        &self,
        tx: &mut TenantTx,
        field: &str,
        bytes: &[u8],
    ) -> Result<Option<T>> {
        let sealed = Sealed::from_bytes(bytes.to_vec())?;
        match self.vault.open(tx, field, &sealed).await {
            Ok(plain) => Ok(Some(serde_json::from_slice(&plain)?)),
            Err(VaultError::KeyDestroyed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The buyer's contact details; empty once erased.
    pub(crate) async fn open_contact(
        &self,
        tx: &mut TenantTx,
        sealed: Option<&[u8]>,
    ) -> Result<Contact> {
        Ok(match sealed {
            Some(bytes) => self.open(tx, CONTACT_FIELD, bytes).await?,
            None => None,
        }
        .unwrap_or_default())
    }

    /// The buyer's view of an order, by its public code: no personal data.
    pub async fn by_code(&self, tenant: TenantId, code: &str) -> Result<BuyerOrder> {
        if code.len() != 22
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(OrdersError::NotFound);
        }
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find_by_code(&mut tx, code)
            .await?
            .ok_or(OrdersError::NotFound)?;
        let lines = db::orders::lines(&mut tx, row.id).await?;
        let payment = db::payments::find(&mut tx, row.id).await?.map(Into::into);
        let shipment = db::orders::shipment(&mut tx, row.id).await?;
        tx.commit().await?;
        Ok(BuyerOrder {
            reference: row.reference,
            status: row.status,
            currency: row.currency,
            lines,
            subtotal_minor: row.subtotal_minor,
            shipping_minor: row.shipping_minor,
            tax_minor: row.tax_minor,
            tax_inclusive: row.tax_inclusive,
            total_minor: row.total_minor,
            refunded_minor: row.refunded_minor,
            shipping_rate_name: row.shipping_rate_name,
            hold_until: row.hold_until,
            created_at: row.created_at,
            payment,
            shipment,
        })
    }

    /// An order's summary as it stands (no personal data, nothing to open).
    pub(crate) async fn summary(&self, tenant: TenantId, id: OrderId) -> Result<OrderSummary> {
        let mut tx = self.db.begin(tenant).await?;
        let row = db::orders::find(&mut tx, id)
            .await?
            .ok_or(OrdersError::NotFound)?;
        tx.commit().await?;
        Ok(OrderSummary {
            id: row.id,
            number: row.number,
            reference: row.reference,
            status: row.status,
            currency: row.currency,
            total_minor: row.total_minor,
            item_count: row.item_count,
            created_at: row.created_at,
        })
    }
}
