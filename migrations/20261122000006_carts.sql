-- Carts live in Redis (services/cart); Postgres keeps only the shop's choice of how long
-- a cookie cart survives without activity (O4, O15). Cookie-less carts always live two
-- hours. The bounds keep a shop from keeping carts indefinitely.
alter table store_settings
    add column cart_ttl_days integer not null default 30 check (cart_ttl_days between 1 and 90);
