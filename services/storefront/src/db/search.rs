//! Search reads: the words of a query, the full-text filter over the shop's active
//! products (all of them, or the candidates of the shop's word index), and what that
//! index is built from.

use platform_domain::ProductId;
use platform_tenancy::TenantTx;

use crate::db::catalog::{Product, cards};

/// The cards of `$scope`'s products that match the query in `$2` (a [`prefix_query`]),
/// best first: one filter and order for every search statement.
macro_rules! matching {
    ($scope:literal) => {
        cards!(concat!(
            $scope,
            "and search @@ (select to_tsquery('simple', $2) || to_tsquery('english', $2)) \
             order by ts_rank(search, (select to_tsquery('simple', $2) || to_tsquery('english', $2))) desc, \
                      created_at desc limit 48"
        ))
    };
}

/// The words of a search, lowercased: runs of letters and digits only, so nothing the
/// visitor types is read as an operator; at most 8 words.
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// The words of a search ([`query_words`]) as a `to_tsquery` text, each a prefix
/// (`boot:* & trail:*`). Empty when nothing searchable is left.
pub fn prefix_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Full-text search within the shop (titles weigh more than descriptions): every word
/// matches as a prefix ("boot" finds "Boots"), either as typed or by its English stem
/// ("boots" finds "Boot"), so a visitor finds a product from the start of a word or
/// another form of it.
/// `words` is the query as [`prefix_query`] makes it (the search cache's key).
///
/// The query is a scalar sub-select, so Postgres computes it once per execution (an init
/// plan) and filters the shop's products with it before the cards are built, under the
/// generic plan the storefront's connections use; joined as a row source instead, it was
/// applied only after every card of the shop had been built (3.4 ms against 0.5 ms a
/// search on 1,000 products, `EXPLAIN ANALYZE`, docs/benchmarks.md).
pub async fn search_words(tx: &mut TenantTx, words: &str) -> Result<Vec<Product>, sqlx::Error> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(matching!("where tenant_id = $1 and status = 'active' "))
        .bind(tx.tenant())
        .bind(words)
        .fetch_all(&mut *tx)
        .await
}

/// [`search_words`] among `candidates` only (products the shop's word index says may
/// match; `search_cache`): the same filter and order, read through the primary key
/// instead of across the shop.
pub async fn search_words_among(
    tx: &mut TenantTx,
    words: &str,
    candidates: &[ProductId],
) -> Result<Vec<Product>, sqlx::Error> {
    if words.is_empty() || candidates.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(matching!(
        "where tenant_id = $1 and id = any($3) and status = 'active' "
    ))
    .bind(tx.tenant())
    .bind(words)
    .bind(candidates)
    .fetch_all(&mut *tx)
    .await
}

/// The words the shop's active products are found by (the lexemes of their `search`
/// vectors), product by product, at most `limit` products.
pub async fn searchable_words(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<(ProductId, Vec<String>)>, sqlx::Error> {
    sqlx::query_as(
        "select id, tsvector_to_array(search) from products \
          where tenant_id = $1 and status = 'active' limit $2",
    )
    .bind(tx.tenant())
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Each word of a search as the two text-search configurations a search uses turn it into
/// lexemes: (word, `simple` lexemes, `english` lexemes). The `english` ones are empty for
/// a stop word. Reads no table.
pub async fn word_forms<'e, E>(
    db: E,
    words: &[String],
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    sqlx::query_as(
        "select w, tsvector_to_array(to_tsvector('simple', w)), \
                tsvector_to_array(to_tsvector('english', w)) \
           from unnest($1::text[]) as w",
    )
    .bind(words)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::{prefix_query, query_words};

    #[test]
    fn search_words_become_prefixes_and_operators_stay_text() {
        let query = |q: &str| prefix_query(&query_words(q));
        assert_eq!(query("Trail boot"), "trail:* & boot:*");
        assert_eq!(query("boots!|&:*'(x)"), "boots:* & x:*");
        assert_eq!(query("  ::  "), "");
        assert_eq!(query("Wanderschuhe größe"), "wanderschuhe:* & größe:*");
        assert_eq!(query("a b c d e f g h i j").split(" & ").count(), 8);
    }
}
