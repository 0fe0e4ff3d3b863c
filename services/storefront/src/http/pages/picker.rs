//! Choosing a variant by its options without JavaScript: one radio group per option
//! (size, colour), the combination chosen read from the address (`?o1=M&o2=Blue`, which
//! the "Show price" button sends) or, at first, the first variant in stock.

use crate::db::catalog::Variant;

/// What the product page offers and shows.
#[derive(Debug)]
pub struct Picker<'a> {
    /// Each option's values, in the order the variants first name them.
    pub values: Vec<Vec<String>>,
    /// The value chosen of each option.
    pub chosen: Vec<String>,
    /// The variant of that combination; none when no variant is that combination.
    pub variant: Option<&'a Variant>,
}

/// A variant's value of an option.
pub fn value_of<'v>(v: &'v Variant, name: &str) -> Option<&'v str> {
    v.options.get(name).and_then(|x| x.as_str())
}

/// The variant whose values are `chosen` (compared as typed, whatever the case).
pub fn find<'a>(names: &[String], variants: &'a [Variant], chosen: &[&str]) -> Option<&'a Variant> {
    variants.iter().find(|v| {
        names.len() == chosen.len()
            && names
                .iter()
                .zip(chosen)
                .all(|(n, c)| value_of(v, n).is_some_and(|x| x.eq_ignore_ascii_case(c)))
    })
}

/// The picker for `names` over `variants`, with the values `asked` for (by place).
pub fn pick<'a>(names: &[String], variants: &'a [Variant], asked: [Option<&str>; 3]) -> Picker<'a> {
    let values: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            let mut seen: Vec<String> = Vec::new();
            for v in variants {
                if let Some(x) = value_of(v, n)
                    && !seen.iter().any(|s| s == x)
                {
                    seen.push(x.to_owned());
                }
            }
            seen
        })
        .collect();
    let start = variants
        .iter()
        .find(|v| v.available)
        .or_else(|| variants.first());
    let chosen: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let asked = asked
                .get(i)
                .copied()
                .flatten()
                .and_then(|a| values[i].iter().find(|x| x.eq_ignore_ascii_case(a)));
            match asked {
                Some(x) => x.clone(),
                None => start
                    .and_then(|v| value_of(v, n))
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
        .collect();
    let variant = find(
        names,
        variants,
        &chosen.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    Picker {
        values,
        chosen,
        variant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_domain::{Currency, VariantId};
    use serde_json::json;

    fn v(size: &str, colour: &str, available: bool) -> Variant {
        Variant {
            id: VariantId::random(),
            sku: format!("T-{size}-{colour}"),
            title: format!("{size} / {colour}"),
            price_minor: 1000,
            currency: Currency::EUR,
            available,
            options: json!({ "Size": size, "Colour": colour }),
        }
    }

    #[test]
    fn the_first_variant_in_stock_is_chosen_then_what_the_visitor_asks_for() {
        let names = vec!["Size".to_owned(), "Colour".to_owned()];
        let variants = vec![
            v("S", "Red", false),
            v("M", "Red", true),
            v("M", "Blue", true),
        ];
        let p = pick(&names, &variants, [None, None, None]);
        assert_eq!(p.values, vec![vec!["S", "M"], vec!["Red", "Blue"]]);
        assert_eq!(p.chosen, vec!["M", "Red"]);
        assert_eq!(p.variant.map(|v| &v.sku), Some(&variants[1].sku));
        let p = pick(&names, &variants, [Some("m"), Some("BLUE"), None]);
        assert_eq!(p.chosen, vec!["M", "Blue"]);
        assert_eq!(p.variant.map(|v| &v.sku), Some(&variants[2].sku));
        // A combination no variant is: nothing to buy; an unknown value: the default.
        let p = pick(&names, &variants, [Some("S"), Some("Blue"), None]);
        assert!(p.variant.is_none());
        let p = pick(&names, &variants, [Some("XXL"), None, None]);
        assert_eq!(p.chosen, vec!["M", "Red"]);
    }
}
