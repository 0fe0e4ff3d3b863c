//! Pricing a prospective order: pure arithmetic over what Postgres said at that moment.
//! Lines at the catalog's prices, a flat shipping rate for the destination, and the
//! destination's tax either included in the prices or added on top, rounded half up to
//! the currency's minor unit.

use std::collections::HashSet;

use platform_domain::{CheckoutFields, Currency, ShippingRateId, VariantId};
use platform_orders_api::{ErrorCode, LineRequest, Quote, QuotedLine, ShippingOption};

use crate::db::catalog::CatalogVariant;
use crate::error::OrdersError;

/// Most lines in one order.
pub const MAX_LINES: usize = 100;
/// Largest quantity of one line.
pub const MAX_QUANTITY: u32 = 999;

/// Lines checked for shape: 1..=100 of them, each variant once, each quantity 1..=999.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines(Vec<LineRequest>);

impl Lines {
    /// Checks the lines of a request.
    pub fn parse(lines: Vec<LineRequest>) -> Result<Self, OrdersError> {
        if lines.is_empty() {
            return Err(OrdersError::refused(
                ErrorCode::Empty,
                "An order needs at least one item.",
            ));
        }
        let distinct: HashSet<VariantId> = lines.iter().map(|l| l.variant_id).collect();
        if lines.len() > MAX_LINES || distinct.len() != lines.len() {
            return Err(OrdersError::refused(
                ErrorCode::LinesInvalid,
                "An order has at most 100 lines, each item once.",
            ));
        }
        if lines
            .iter()
            .any(|l| l.quantity == 0 || l.quantity > MAX_QUANTITY)
        {
            return Err(OrdersError::refused(
                ErrorCode::QuantityInvalid,
                "A quantity is between 1 and 999.",
            ));
        }
        Ok(Lines(lines))
    }

    /// The lines, in the order asked.
    pub fn get(&self) -> &[LineRequest] {
        &self.0
    }

    /// The variant ids.
    pub fn variant_ids(&self) -> Vec<VariantId> {
        self.0.iter().map(|l| l.variant_id).collect()
    }
}

/// The shop's tax for one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tax {
    /// Basis points (1900 = 19 %).
    pub rate_bp: i32,
    /// Included in the prices (else added).
    pub inclusive: bool,
}

/// Everything a quote is computed from.
pub struct Inputs<'a> {
    /// The shop's currency.
    pub currency: Currency,
    /// What the shop asks for.
    pub fields: CheckoutFields,
    /// The lines asked.
    pub lines: &'a Lines,
    /// The catalog's variants among them.
    pub variants: &'a [CatalogVariant],
    /// Countries the shop ships to.
    pub countries: Vec<String>,
    /// Rates to the destination (empty before one is chosen).
    pub options: Vec<ShippingOption>,
    /// The rate chosen.
    pub chosen: Option<ShippingRateId>,
    /// The shop's tax for the destination.
    pub tax: Tax,
    /// The shop asks for an address, so a rate must be chosen.
    pub ships: bool,
}

/// `numerator / denominator`, rounded half up, for non-negative values.
fn div_round(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// The tax contained in (inclusive) or added to (exclusive) `base`.
pub fn tax_of(base: i64, tax: Tax) -> i64 {
    let (base, bp) = (i128::from(base), i128::from(tax.rate_bp));
    let tax = if tax.inclusive {
        div_round(base * bp, 10_000 + bp)
    } else {
        div_round(base * bp, 10_000)
    };
    i64::try_from(tax).unwrap_or(i64::MAX)
}

/// Prices the lines now.
pub fn quote(inputs: Inputs<'_>) -> Quote {
    let lines: Vec<QuotedLine> = inputs
        .lines
        .get()
        .iter()
        .map(|asked| {
            let found = inputs
                .variants
                .iter()
                .find(|v| v.id == asked.variant_id && v.currency == inputs.currency);
            match found {
                Some(v) => {
                    let available = v.on_sale && i64::from(v.stock) >= i64::from(asked.quantity);
                    QuotedLine {
                        variant_id: v.id,
                        sku: v.sku.clone(),
                        product_title: v.product_title.clone(),
                        variant_title: v.variant_title.clone(),
                        quantity: asked.quantity,
                        unit_price_minor: v.price_minor,
                        line_total_minor: v.price_minor * i64::from(asked.quantity),
                        in_stock: v.stock,
                        available,
                    }
                }
                None => QuotedLine {
                    variant_id: asked.variant_id,
                    sku: String::new(),
                    product_title: String::new(),
                    variant_title: String::new(),
                    quantity: asked.quantity,
                    unit_price_minor: 0,
                    line_total_minor: 0,
                    in_stock: 0,
                    available: false,
                },
            }
        })
        .collect();
    let subtotal: i64 = lines
        .iter()
        .filter(|l| l.available)
        .map(|l| l.line_total_minor)
        .sum();
    let shipping = inputs
        .chosen
        .and_then(|id| inputs.options.iter().find(|o| o.id == id).cloned());
    let shipping_minor = shipping.as_ref().map_or(0, |s| s.price_minor);
    let tax_minor = tax_of(subtotal + shipping_minor, inputs.tax);
    let total_minor = if inputs.tax.inclusive {
        subtotal + shipping_minor
    } else {
        subtotal + shipping_minor + tax_minor
    };
    let ready = lines.iter().all(|l| l.available) && (!inputs.ships || shipping.is_some());
    Quote {
        currency: inputs.currency,
        lines,
        fields: inputs.fields,
        countries: inputs.countries,
        shipping_options: inputs.options,
        shipping,
        subtotal_minor: subtotal,
        shipping_minor,
        tax_rate_bp: inputs.tax.rate_bp,
        tax_inclusive: inputs.tax.inclusive,
        tax_minor,
        total_minor,
        ready,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn variant(price: i64, stock: i32) -> CatalogVariant {
        CatalogVariant {
            id: VariantId::random(),
            sku: "S".into(),
            product_title: "Boots".into(),
            variant_title: "42".into(),
            price_minor: price,
            currency: Currency::EUR,
            stock,
            on_sale: true,
            thirteen_plus: false,
        }
    }

    fn inputs<'a>(lines: &'a Lines, variants: &'a [CatalogVariant], tax: Tax) -> Inputs<'a> {
        let rate = ShippingOption {
            id: ShippingRateId::random(),
            name: "Standard".into(),
            price_minor: 490,
        };
        Inputs {
            currency: Currency::EUR,
            fields: CheckoutFields::default(),
            lines,
            variants,
            countries: vec!["DE".into()],
            chosen: Some(rate.id),
            options: vec![rate],
            tax,
            ships: true,
        }
    }

    #[test]
    fn exclusive_tax_is_added_and_inclusive_tax_is_contained() {
        let v = [variant(1999, 5)];
        let lines = Lines::parse(vec![LineRequest {
            variant_id: v[0].id,
            quantity: 2,
        }])
        .unwrap();
        let q = quote(inputs(
            &lines,
            &v,
            Tax {
                rate_bp: 1900,
                inclusive: false,
            },
        ));
        // (3998 + 490) × 19 % = 852.72 → 853
        assert_eq!(
            (q.subtotal_minor, q.tax_minor, q.total_minor),
            (3998, 853, 5341)
        );
        assert!(q.ready);
        let q = quote(inputs(
            &lines,
            &v,
            Tax {
                rate_bp: 1900,
                inclusive: true,
            },
        ));
        // 4488 × 19 / 119 = 716.57 → 717
        assert_eq!((q.tax_minor, q.total_minor), (717, 4488));
    }

    #[test]
    fn an_unavailable_line_is_shown_and_blocks_the_order() {
        let v = [variant(1000, 1)];
        let lines = Lines::parse(vec![LineRequest {
            variant_id: v[0].id,
            quantity: 2,
        }])
        .unwrap();
        let q = quote(inputs(&lines, &v, Tax::default()));
        assert!(!q.ready && !q.lines[0].available);
        assert_eq!(q.lines[0].in_stock, 1);
    }

    #[test]
    fn lines_are_bounded() {
        let id = VariantId::random();
        let line = |quantity| LineRequest {
            variant_id: id,
            quantity,
        };
        assert!(Lines::parse(vec![]).is_err());
        assert!(Lines::parse(vec![line(0)]).is_err());
        assert!(Lines::parse(vec![line(1000)]).is_err());
        assert!(Lines::parse(vec![line(1), line(2)]).is_err());
        assert!(Lines::parse(vec![line(999)]).is_ok());
    }
}
