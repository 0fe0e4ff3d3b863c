//! Pricing a stored cart from the catalog as it is now.

use platform_cart_api::{CartView, LineView, Mode};
use platform_domain::Currency;

use crate::db::VariantInfo;
use crate::store::StoredCart;

/// The cart's lines priced from `infos` (the catalog rows of its variants), sorted by
/// product title, with what changed since each line was added flagged.
pub fn priced(
    stored: &StoredCart,
    infos: &[VariantInfo],
    currency: Currency,
    mode: Mode,
) -> CartView {
    let mut lines: Vec<LineView> = stored
        .lines
        .iter()
        .map(|(variant, &quantity)| {
            let added = stored.seen_prices.get(variant).copied();
            match infos.iter().find(|i| i.id == *variant) {
                Some(i) => {
                    let available = i.on_sale() && i.stock > 0;
                    LineView {
                        variant_id: *variant,
                        product_handle: i.product_handle.clone(),
                        product_title: i.product_title.clone(),
                        variant_title: i.variant_title.clone(),
                        sku: i.sku.clone(),
                        image_url: i.image_url.clone(),
                        quantity,
                        unit_price_minor: Some(i.price_minor),
                        added_price_minor: added,
                        price_changed: added.is_some_and(|a| a != i.price_minor),
                        available,
                        stock: i.stock,
                        stock_short: i64::from(i.stock) < i64::from(quantity),
                        line_total_minor: if available {
                            i.price_minor.saturating_mul(i64::from(quantity))
                        } else {
                            0
                        },
                        currency: i.currency,
                    }
                }
                None => LineView {
                    variant_id: *variant,
                    product_handle: String::new(),
                    product_title: "No longer sold".to_owned(),
                    variant_title: String::new(),
                    sku: String::new(),
                    image_url: None,
                    quantity,
                    unit_price_minor: None,
                    added_price_minor: added,
                    price_changed: false,
                    available: false,
                    stock: 0,
                    stock_short: true,
                    line_total_minor: 0,
                    currency,
                },
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        (&a.product_title, &a.variant_title, a.variant_id).cmp(&(
            &b.product_title,
            &b.variant_title,
            b.variant_id,
        ))
    });
    CartView {
        mode,
        ttl_seconds: stored.ttl,
        item_count: lines.iter().map(|l| u64::from(l.quantity)).sum(),
        subtotal_minor: lines
            .iter()
            .fold(0i64, |sum, l| sum.saturating_add(l.line_total_minor)),
        needs_attention: lines
            .iter()
            .any(|l| l.price_changed || !l.available || l.stock_short),
        has_prefill: stored.has_prefill,
        currency,
        lines,
    }
}
