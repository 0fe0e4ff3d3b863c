//! The words each shop's active products can be found by, in memory, so that a search the
//! result cache has not seen reads only the products that can match it.
//!
//! Why: under row-level security Postgres cannot use the GIN index on `products.search`
//! (its `@@` is not leakproof, so it may not run before the tenant policy), and each
//! uncached search filtered all of a shop's active products (0.6 ms of Postgres per
//! thousand). The index narrows that to the products holding, for every word of the
//! search, a lexeme that starts with one of the word's forms; Postgres then applies the
//! same exact filter and order to those few, read by primary key, under the same policies
//! (`search::search_words_among`).
//!
//! Exactness: a search matches a product when the product's lexemes have every word as a
//! prefix, either in the `simple` or in the `english` configuration (`search_words`). A
//! word's forms are its lexemes in both, as Postgres makes them (`search::word_forms`),
//! so "every word has a lexeme starting with one of its forms" holds for every product the
//! search matches: the candidates are a superset, and the exact filter keeps the rest out.
//! A word that one configuration drops (an English stop word) does not narrow anything,
//! since the other configuration's query does not need it; a search with no narrowing word
//! falls back to the full filter. Lexemes are compared by bytes, as Postgres compares
//! prefixes.
//!
//! Freshness: an index is built from one snapshot and dropped by the same
//! `catalog_changed` notifications as the shop's pages and results; an index read before
//! a notification is never kept after it (the generation check of `search_cache`).

use std::collections::BTreeMap;
use std::sync::Arc;

use platform_domain::ProductId;

/// A shop's products above this many are not indexed (their searches take the full
/// filter): the index stays a few megabytes per shop at most.
pub const MAX_PRODUCTS: usize = 20_000;

/// The forms of one search word, or `None` when the word narrows nothing.
pub type Forms = Option<Arc<[Box<str>]>>;

/// The forms of a word from its lexemes in the two configurations: both must have some,
/// or the word narrows nothing.
pub fn forms(simple: Vec<String>, english: Vec<String>) -> Forms {
    if simple.is_empty() || english.is_empty() {
        return None;
    }
    let mut all: Vec<Box<str>> = simple
        .into_iter()
        .chain(english)
        .map(String::into_boxed_str)
        .collect();
    all.sort_unstable();
    all.dedup();
    Some(all.into())
}

/// One shop's words.
#[derive(Debug, Default)]
pub struct WordIndex {
    /// Every distinct lexeme, in byte order, with the positions (in `products`) of the
    /// products holding it, ascending.
    lexemes: Vec<(Box<str>, Box<[u32]>)>,
    /// The indexed products.
    products: Box<[ProductId]>,
    /// Roughly the memory it holds, in bytes.
    bytes: usize,
}

impl WordIndex {
    /// Builds the index of `rows` (product, lexemes), at most `u32::MAX` products.
    pub fn build(rows: Vec<(ProductId, Vec<String>)>) -> Self {
        let mut postings: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut products = Vec::with_capacity(rows.len());
        for (id, lexemes) in rows {
            let Ok(position) = u32::try_from(products.len()) else {
                break;
            };
            products.push(id);
            for lexeme in lexemes {
                postings.entry(lexeme).or_default().push(position);
            }
        }
        let mut bytes = products.len() * size_of::<ProductId>();
        let lexemes: Vec<(Box<str>, Box<[u32]>)> = postings
            .into_iter()
            .map(|(lexeme, positions)| {
                bytes += lexeme.len() + positions.len() * 4 + 48;
                (lexeme.into_boxed_str(), positions.into_boxed_slice())
            })
            .collect();
        WordIndex {
            lexemes,
            products: products.into_boxed_slice(),
            bytes,
        }
    }

    /// Roughly the memory the index holds, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The products that may match a search of `words` (each word's forms): those holding,
    /// for every narrowing word, a lexeme that starts with one of its forms. `None` when no
    /// word narrows (every product may match).
    pub fn candidates(&self, words: &[Forms]) -> Option<Vec<ProductId>> {
        let mut kept: Option<Vec<bool>> = None;
        for forms in words.iter().flatten() {
            let mut found = vec![false; self.products.len()];
            for form in forms.iter() {
                let start = self
                    .lexemes
                    .partition_point(|(lexeme, _)| **lexeme < **form);
                for (lexeme, positions) in &self.lexemes[start..] {
                    if !lexeme.starts_with(&**form) {
                        break;
                    }
                    for &p in positions.iter() {
                        if let Some(slot) = found.get_mut(p as usize) {
                            *slot = true;
                        }
                    }
                }
            }
            kept = Some(match kept {
                None => found,
                Some(mut kept) => {
                    for (k, f) in kept.iter_mut().zip(found) {
                        *k &= f;
                    }
                    kept
                }
            });
        }
        kept.map(|kept| {
            kept.iter()
                .zip(self.products.iter())
                .filter(|(k, _)| **k)
                .map(|(_, id)| *id)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(lexemes: &[&str]) -> Vec<String> {
        lexemes.iter().map(|l| (*l).to_owned()).collect()
    }

    fn form(of: &[&str]) -> Forms {
        forms(words(of), words(of))
    }

    #[test]
    fn candidates_hold_every_narrowing_word_as_a_prefix() {
        let (boots, shirt, tee) = (
            ProductId::random(),
            ProductId::random(),
            ProductId::random(),
        );
        let index = WordIndex::build(vec![
            (boots, words(&["trail", "boots", "17"])),
            (shirt, words(&["running", "shirt", "170"])),
            (tee, words(&["tee", "ünïcode"])),
        ]);
        assert_eq!(index.candidates(&[form(&["boot"])]), Some(vec![boots]));
        assert_eq!(index.candidates(&[form(&["17"])]), Some(vec![boots, shirt]));
        assert_eq!(
            index.candidates(&[form(&["17"]), form(&["run"])]),
            Some(vec![shirt])
        );
        // Either form of a word is enough ("runs" as typed, "run" stemmed).
        assert_eq!(
            index.candidates(&[forms(words(&["runs"]), words(&["run"]))]),
            Some(vec![shirt])
        );
        assert_eq!(index.candidates(&[form(&["ün"])]), Some(vec![tee]));
        assert_eq!(index.candidates(&[form(&["zzz"])]), Some(vec![]));
        // A stop word narrows nothing; no narrowing word: no narrowing at all.
        assert_eq!(
            index.candidates(&[forms(words(&["the"]), vec![]), form(&["tee"])]),
            Some(vec![tee])
        );
        assert_eq!(index.candidates(&[forms(words(&["the"]), vec![])]), None);
        assert_eq!(index.candidates(&[]), None);
    }

    #[test]
    fn forms_are_both_configurations_lexemes_once() {
        let f = forms(words(&["boots"]), words(&["boot"])).unwrap();
        assert_eq!(&*f, &["boot".into(), "boots".into()] as &[Box<str>]);
        let f = forms(words(&["trail"]), words(&["trail"])).unwrap();
        assert_eq!(f.len(), 1);
        assert!(forms(vec![], words(&["x"])).is_none());
    }
}
