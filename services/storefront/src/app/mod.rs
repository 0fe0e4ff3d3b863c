//! What the storefront keeps between requests: the host → shop cache, each shop's
//! settings, search results and the words their products are found by (invalidated by
//! Postgres notifications), and the aggregate view counter. Catalog reads are plain
//! queries in `db/`; cart actions go to the cart service through its contract crate.

pub mod hosts;
pub mod search_cache;
pub mod search_index;
pub mod shop_settings;
pub mod view_counts;
