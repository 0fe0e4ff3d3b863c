-- Shipping hand-off (O6): how an order left and how to follow it. The carrier receives
-- only the delivery fields (a fixed shape in libs/carrier-api); what comes back is its
-- name, its shipment id and the tracking number, none of them personal data.

alter table orders
    add column carrier         text        check (length(carrier) between 1 and 60),
    add column tracking_number text        check (tracking_number ~ '^[A-Za-z0-9 _./-]{1,60}$'),
    add column shipment_id     text        check (shipment_id ~ '^[A-Za-z0-9_-]{1,100}$'),
    add column shipped_at      timestamptz,
    add column delivered_at    timestamptz;

grant update (carrier, tracking_number, shipment_id, shipped_at, delivered_at) on orders to orders;
alter table orders
    add column tracking_url text check (tracking_url ~ '^https://[^[:space:]]+$' and length(tracking_url) <= 300);
grant update (tracking_url) on orders to orders;
