//! Carts in Redis. One cart is four keys that share the hash tag `{<tenant>:<cart>}`, so
//! they live on one Redis Cluster slot (the scripts below touch several keys at once)
//! while different carts spread over every slot:
//!
//! - `cart:{t:c}:lines`   hash variant → quantity
//! - `cart:{t:c}:seen`    hash variant → unit price (minor units) when the line was added
//! - `cart:{t:c}:meta`    hash `ttl` (seconds), `mode`, `created` (unix seconds)
//! - `cart:{t:c}:prefill` the sealed checkout draft (ciphertext only)
//!
//! Every change is one Lua script, so concurrent tabs never lose an update, and every
//! script renews the TTL of all four keys (a sliding expiry).

use std::collections::HashMap;
use std::time::Duration;

use platform_cart_api::{CartId, Mode, VariantId};
use platform_tenancy::TenantId;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::app::domain::{MAX_LINES, MAX_QUANTITY};

/// Redis failed or could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct StoreError(#[from] RedisError);

/// The four keys of one cart.
struct Keys([String; 4]);

impl Keys {
    fn new(tenant: TenantId, cart: CartId) -> Self {
        let tag = format!("cart:{{{tenant}:{cart}}}");
        Keys([
            format!("{tag}:lines"),
            format!("{tag}:seen"),
            format!("{tag}:meta"),
            format!("{tag}:prefill"),
        ])
    }

    fn on<'a>(&self, script: &'a Script) -> redis::ScriptInvocation<'a> {
        let mut invocation = script.prepare_invoke();
        for key in &self.0 {
            invocation.key(key);
        }
        invocation
    }
}

/// The Redis key prefix of one cart's keys (for tests that read Redis directly).
pub fn key_tag(tenant: TenantId, cart: CartId) -> String {
    format!("cart:{{{tenant}:{cart}}}")
}

// Shared by every script: renew all four keys with the given TTL, or the cart's stored
// one when the caller passed 0 (an operation that did not look up the shop's setting).
const TOUCH: &str = r"
local function touch(ttl)
  ttl = tonumber(ttl)
  if ttl == 0 then ttl = tonumber(redis.call('HGET', KEYS[3], 'ttl') or '0') end
  if ttl == 0 then ttl = 7200 end
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
  return ttl
end
local function remember(ttl, mode, now)
  if tonumber(ttl) > 0 then redis.call('HSET', KEYS[3], 'ttl', ttl, 'mode', mode) end
  redis.call('HSETNX', KEYS[3], 'created', now)
end
";

// ARGV: variant, quantity to add, most allowed in total (stock, capped), unit price now,
// ttl, mode, now, line limit. Returns {status, quantity}: 0 ok, 1 line limit,
// 2 over the quantity cap, 3 over stock.
const ADD: &str = r"
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[8]) then return {1, cur} end
local new = cur + tonumber(ARGV[2])
if new > MAX_QUANTITY then return {2, cur} end
if new > tonumber(ARGV[3]) then return {3, cur} end
redis.call('HSET', KEYS[1], ARGV[1], new)
if cur == 0 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[4]) end
remember(ARGV[5], ARGV[6], ARGV[7])
touch(ARGV[5])
return {0, new}
";

// ARGV: variant, quantity, most allowed (stock, capped), unit price now, ttl, mode, now.
// Returns {status, quantity}: 0 ok, 3 over stock, 4 no such line. Setting a quantity
// acknowledges the current price (the visitor saw it on the cart page).
const SET: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {4, 0} end
if tonumber(ARGV[2]) > tonumber(ARGV[3]) then return {3, 0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
remember(ARGV[5], ARGV[6], ARGV[7])
touch(ARGV[5])
return {0, tonumber(ARGV[2])}
";

// ARGV: variant, ttl. Returns 1 when a line was removed.
const REMOVE: &str = r"
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then touch(ARGV[2]) end
return n
";

// ARGV: ttl. Returns {lines (flat variant, qty…), seen (flat), has prefill, ttl, mode}.
const READ: &str = r"
if redis.call('EXISTS', KEYS[3]) == 0 then return {{}, {}, 0, 0, ''} end
local ttl = touch(ARGV[1])
if tonumber(ARGV[1]) > 0 then redis.call('HSET', KEYS[3], 'ttl', ARGV[1], 'mode', ARGV[2]) end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]),
        redis.call('EXISTS', KEYS[4]), ttl, redis.call('HGET', KEYS[3], 'mode') or ''}
";

// ARGV: ttl. Returns {item count, ttl}.
const COUNT: &str = r"
if redis.call('EXISTS', KEYS[3]) == 0 then return {0, 0} end
local n = 0
for _, q in ipairs(redis.call('HVALS', KEYS[1])) do n = n + tonumber(q) end
return {n, touch(ARGV[1])}
";

// ARGV: sealed bytes, ttl, mode, now.
const PUT_PREFILL: &str = r"
redis.call('SET', KEYS[4], ARGV[1])
remember(ARGV[2], ARGV[3], ARGV[4])
return touch(ARGV[2])
";

// ARGV: ttl, mode, now. Switches how the cart is kept (cookie refused → URL token).
const SET_MODE: &str = r"
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
remember(ARGV[1], ARGV[2], ARGV[3])
return touch(ARGV[1])
";

/// What a read of the cart found in Redis (unpriced).
#[derive(Debug, Default)]
pub struct StoredCart {
    /// Variant → quantity, in no particular order.
    pub lines: HashMap<VariantId, u32>,
    /// Variant → unit price when added.
    pub seen_prices: HashMap<VariantId, i64>,
    /// A sealed checkout draft is kept.
    pub has_prefill: bool,
    /// Seconds until expiry (0: no such cart).
    pub ttl: u64,
}

/// Which change a line gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    /// Add to the quantity (a new line if there is none, within the line limit).
    Add,
    /// Set the quantity of an existing line (and acknowledge its current price).
    Set,
}

/// A change of one line, with what the catalog says about its variant now.
#[derive(Debug, Clone, Copy)]
pub struct LineChange {
    /// The shop.
    pub tenant: TenantId,
    /// The cart.
    pub cart: CartId,
    /// The line's variant.
    pub variant: VariantId,
    /// Quantity to add, or to set.
    pub quantity: u32,
    /// Most allowed in total (the stock; capped at the quantity limit).
    pub most: u32,
    /// Unit price now, remembered to flag later changes.
    pub price_minor: i64,
    /// TTL to renew the cart with (0: keep its own).
    pub ttl: u64,
    /// How the cart is kept.
    pub mode: Mode,
}

/// Outcome of a line update decided inside Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Done; the line's quantity now.
    Ok(u32),
    /// The cart already has [`MAX_LINES`] lines.
    LineLimit,
    /// The line would exceed [`MAX_QUANTITY`].
    QuantityCap,
    /// More than the stock.
    OverStock,
    /// No such line.
    NoLine,
}

fn outcome(status: i64, quantity: i64) -> LineOutcome {
    match status {
        0 => LineOutcome::Ok(u32::try_from(quantity).unwrap_or(0)),
        1 => LineOutcome::LineLimit,
        2 => LineOutcome::QuantityCap,
        3 => LineOutcome::OverStock,
        _ => LineOutcome::NoLine,
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn script(body: &str) -> Script {
    Script::new(&format!(
        "{TOUCH}\n{}",
        body.replace("MAX_QUANTITY", &MAX_QUANTITY.to_string())
    ))
}

/// The cart store over one Redis connection manager (multiplexed, reconnecting by itself
/// after a fault; a call while Redis is away fails fast with [`StoreError`]).
#[derive(Clone)]
pub struct CartStore {
    redis: ConnectionManager,
    add: Script,
    set: Script,
    remove: Script,
    read: Script,
    count: Script,
    put_prefill: Script,
    set_mode: Script,
}

impl CartStore {
    /// A store for the Redis at `url`. Connects lazily: the service starts while Redis is
    /// down, and recovers when it returns.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let redis = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(CartStore {
            redis,
            add: script(ADD),
            set: script(SET),
            remove: script(REMOVE),
            read: script(READ),
            count: script(COUNT),
            put_prefill: script(PUT_PREFILL),
            set_mode: script(SET_MODE),
        })
    }

    /// `PING`, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut con = self.redis.clone();
        redis::cmd("PING").query_async::<String>(&mut con).await?;
        Ok(())
    }

    /// Adds to a line or sets its quantity (atomic read-check-write in one script).
    pub async fn change_line(&self, op: LineOp, c: &LineChange) -> Result<LineOutcome, StoreError> {
        let mut con = self.redis.clone();
        let script = match op {
            LineOp::Add => &self.add,
            LineOp::Set => &self.set,
        };
        let mut invocation = Keys::new(c.tenant, c.cart).on(script);
        invocation
            .arg(c.variant.to_string())
            .arg(c.quantity)
            .arg(c.most.min(MAX_QUANTITY))
            .arg(c.price_minor)
            .arg(c.ttl)
            .arg(c.mode.as_str())
            .arg(now_secs());
        if op == LineOp::Add {
            invocation.arg(MAX_LINES);
        }
        let (status, qty): (i64, i64) = invocation.invoke_async(&mut con).await?;
        Ok(outcome(status, qty))
    }

    /// Removes a line; true when there was one.
    pub async fn remove(
        &self,
        tenant: TenantId,
        cart: CartId,
        variant: VariantId,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let mut con = self.redis.clone();
        let n: i64 = Keys::new(tenant, cart)
            .on(&self.remove)
            .arg(variant.to_string())
            .arg(ttl)
            .invoke_async(&mut con)
            .await?;
        Ok(n > 0)
    }

    /// Deletes the whole cart, checkout draft included.
    pub async fn clear(&self, tenant: TenantId, cart: CartId) -> Result<(), StoreError> {
        let mut con = self.redis.clone();
        let keys = Keys::new(tenant, cart);
        redis::cmd("DEL")
            .arg(&keys.0[..])
            .query_async::<i64>(&mut con)
            .await?;
        Ok(())
    }

    /// Reads the cart and renews its TTL (`ttl` 0: keep the cart's own).
    pub async fn read(
        &self,
        tenant: TenantId,
        cart: CartId,
        ttl: u64,
        mode: Mode,
    ) -> Result<StoredCart, StoreError> {
        let mut con = self.redis.clone();
        let (lines, seen, prefill, ttl, _mode): (Vec<String>, Vec<String>, i64, i64, String) =
            Keys::new(tenant, cart)
                .on(&self.read)
                .arg(ttl)
                .arg(mode.as_str())
                .invoke_async(&mut con)
                .await?;
        Ok(StoredCart {
            lines: pairs(&lines)
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect(),
            seen_prices: pairs(&seen)
                .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
                .collect(),
            has_prefill: prefill == 1,
            ttl: u64::try_from(ttl).unwrap_or(0),
        })
    }

    /// Total items in the cart (the mini-cart), renewing its TTL.
    pub async fn count(
        &self,
        tenant: TenantId,
        cart: CartId,
        ttl: u64,
    ) -> Result<(u64, u64), StoreError> {
        let mut con = self.redis.clone();
        let (n, ttl): (i64, i64) = Keys::new(tenant, cart)
            .on(&self.count)
            .arg(ttl)
            .invoke_async(&mut con)
            .await?;
        Ok((
            u64::try_from(n).unwrap_or(0),
            u64::try_from(ttl).unwrap_or(0),
        ))
    }

    /// Stores the sealed checkout draft.
    pub async fn put_prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
        sealed: &[u8],
        ttl: u64,
        mode: Mode,
    ) -> Result<u64, StoreError> {
        let mut con = self.redis.clone();
        let ttl: i64 = Keys::new(tenant, cart)
            .on(&self.put_prefill)
            .arg(sealed)
            .arg(ttl)
            .arg(mode.as_str())
            .arg(now_secs())
            .invoke_async(&mut con)
            .await?;
        Ok(u64::try_from(ttl).unwrap_or(0))
    }

    /// The sealed checkout draft, if any.
    pub async fn prefill(
        &self,
        tenant: TenantId,
        cart: CartId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut con = self.redis.clone();
        let keys = Keys::new(tenant, cart);
        Ok(redis::cmd("GET")
            .arg(&keys.0[3])
            .query_async(&mut con)
            .await?)
    }

    /// Forgets the checkout draft ("forget my details").
    pub async fn forget_prefill(&self, tenant: TenantId, cart: CartId) -> Result<(), StoreError> {
        let mut con = self.redis.clone();
        let keys = Keys::new(tenant, cart);
        redis::cmd("DEL")
            .arg(&keys.0[3])
            .query_async::<i64>(&mut con)
            .await?;
        Ok(())
    }

    /// Switches how the cart is kept; returns the new TTL (0: no such cart).
    pub async fn set_mode(
        &self,
        tenant: TenantId,
        cart: CartId,
        ttl: u64,
        mode: Mode,
    ) -> Result<u64, StoreError> {
        let mut con = self.redis.clone();
        let ttl: i64 = Keys::new(tenant, cart)
            .on(&self.set_mode)
            .arg(ttl)
            .arg(mode.as_str())
            .arg(now_secs())
            .invoke_async(&mut con)
            .await?;
        Ok(u64::try_from(ttl).unwrap_or(0))
    }
}

fn pairs(flat: &[String]) -> impl Iterator<Item = (VariantId, &String)> {
    flat.chunks_exact(2)
        .filter_map(|kv| Some((kv[0].parse().ok()?, &kv[1])))
}
