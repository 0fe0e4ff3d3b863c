-- Checkout and orders (services/orders): the shop's shipping rates and tax rates, its own
-- order numbering, orders with their lines and events, idempotency keys, and the mail
-- outbox. Every table is a tenant table under the standard forced policy; every key and
-- foreign key includes tenant_id.
--
-- What an order keeps (O1, O3, O5): contact and shipping details sealed under a per-buyer
-- subject key (libs/vault) with a blind index on the email; the buyer's full IP on the
-- order row and nowhere else; never a card number (payment columns arrive with the
-- payment processor and hold only its token, brand, last four digits and expiry).

create or replace function pg_temp.isolate(tbl regclass) returns void language plpgsql as $$
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);
    execute format(
        'create policy tenant_isolation on %s '
        'using (tenant_id = (select nullif(current_setting(''app.tenant_id'', true), '''')::uuid)) '
        'with check (tenant_id = (select nullif(current_setting(''app.tenant_id'', true), '''')::uuid))',
        tbl);
end
$$;

-- How the shop numbers its orders and how long an unpaid order holds its stock.
alter table store_settings
    add column order_number_prefix text not null default ''
        check (order_number_prefix ~ '^[A-Z0-9-]{0,12}$'),
    add column order_hold_minutes integer not null default 30
        check (order_hold_minutes between 5 and 1440);

-- Each shop's own order numbers (no global sequence: a buyer cannot count another
-- shop's orders). Placing an order takes the shop's row lock for the length of one
-- transaction; shops never wait for each other.
create table order_counters (
    tenant_id   uuid   not null references tenants (id),
    next_number bigint not null default 1001 check (next_number between 1 and 999999999999),
    primary key (tenant_id)
);
select pg_temp.isolate('order_counters');

-- Flat shipping rates per destination country, set by the merchant.
create table shipping_rates (
    tenant_id   uuid    not null references tenants (id),
    id          uuid    not null,
    country     text    not null check (country ~ '^[A-Z]{2}$'),
    name        text    not null check (length(name) between 1 and 100),
    price_minor bigint  not null check (price_minor between 0 and 100000000000),
    position    integer not null default 0,
    primary key (tenant_id, id),
    unique (tenant_id, country, name)
);
create index shipping_rates_country_idx on shipping_rates (tenant_id, country, position);
select pg_temp.isolate('shipping_rates');

-- A tax rate per destination country, in basis points (1900 = 19 %), either included in
-- the shop's prices or added on top. No row: no tax.
create table tax_rates (
    tenant_id  uuid    not null references tenants (id),
    country    text    not null check (country ~ '^[A-Z]{2}$'),
    rate_bp    integer not null check (rate_bp between 0 and 10000),
    inclusive  boolean not null,
    primary key (tenant_id, country)
);
select pg_temp.isolate('tax_rates');

create table orders (
    tenant_id          uuid        not null references tenants (id),
    id                 uuid        not null,
    number             bigint      not null check (number > 0),
    -- The number as the shop shows it: its prefix, then the number.
    reference          text        not null check (length(reference) between 1 and 30),
    -- Opens the buyer's status page; random, 128 bits.
    public_code        text        not null check (public_code ~ '^[A-Za-z0-9_-]{22}$'),
    status             text        not null default 'pending_payment'
                                   check (status in ('pending_payment', 'paid', 'shipped',
                                                     'delivered', 'cancelled')),
    currency           text        not null check (currency ~ '^[A-Z]{3}$'),
    subtotal_minor     bigint      not null check (subtotal_minor >= 0),
    shipping_minor     bigint      not null check (shipping_minor >= 0),
    tax_minor          bigint      not null check (tax_minor >= 0),
    total_minor        bigint      not null check (total_minor >= 0),
    refunded_minor     bigint      not null default 0 check (refunded_minor between 0 and total_minor),
    tax_rate_bp        integer     not null check (tax_rate_bp between 0 and 10000),
    tax_inclusive      boolean     not null,
    shipping_rate_name text        check (length(shipping_rate_name) between 1 and 100),
    -- The buyer as a data subject: their key seals the fields below (O11, O14).
    subject_id         uuid        not null,
    email_index        bytea       check (length(email_index) = 32),
    contact_sealed     bytea       not null,
    shipping_sealed    bytea,
    -- The buyer's full address, here and nowhere else (O5).
    buyer_ip           inet        not null,
    -- Unpaid by then: the stock goes back and the order is cancelled.
    hold_until         timestamptz not null,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, number),
    unique (tenant_id, public_code)
);
create index orders_recent_idx on orders (tenant_id, created_at desc, id desc);
create index orders_status_idx on orders (tenant_id, status, created_at desc);
create index orders_email_idx on orders (tenant_id, email_index) where email_index is not null;
create index orders_hold_idx on orders (tenant_id, hold_until) where status = 'pending_payment';
select pg_temp.isolate('orders');

-- What was bought, as it was priced at that moment: a later price change or a deleted
-- product does not change an order.
create table order_lines (
    tenant_id        uuid    not null,
    order_id         uuid    not null,
    position         integer not null check (position between 0 and 99),
    variant_id       uuid    not null,
    sku              text    not null,
    product_title    text    not null,
    variant_title    text    not null,
    unit_price_minor bigint  not null check (unit_price_minor >= 0),
    quantity         integer not null check (quantity between 1 and 999),
    line_total_minor bigint  not null check (line_total_minor = unit_price_minor * quantity),
    primary key (tenant_id, order_id, position),
    foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
select pg_temp.isolate('order_lines');

-- Every change of an order, with its time and actor; details never hold personal data.
create table order_events (
    tenant_id uuid        not null,
    order_id  uuid        not null,
    seq       integer     not null check (seq >= 0),
    kind      text        not null check (kind in ('placed', 'payment_captured', 'payment_failed',
                                                   'shipped', 'delivered', 'cancelled',
                                                   'refunded', 'hold_expired')),
    actor     text        not null check (actor ~ '^(buyer|processor|system|staff:[0-9a-f-]{36})$'),
    detail    jsonb       not null default '{}' check (jsonb_typeof(detail) = 'object'),
    at        timestamptz not null default now(),
    primary key (tenant_id, order_id, seq),
    foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
select pg_temp.isolate('order_events');

-- Idempotency keys (IETF httpapi Idempotency-Key draft), per shop. A key is taken in its
-- own short transaction (`in_flight`, with a lease), and finished in the transaction that
-- writes the order, so a key is `done` exactly when its order exists. A lease that ran
-- out (the caller died) may be taken over; finishing checks the lease is still ours.
create table idempotency_keys (
    tenant_id       uuid        not null references tenants (id),
    key             text        not null check (key ~ '^[\x21-\x7e]{1,255}$'),
    request_hash    bytea       not null check (length(request_hash) = 32),
    state           text        not null check (state in ('in_flight', 'done')),
    lease           uuid        not null,
    lease_until     timestamptz not null,
    response_status smallint    check (response_status between 200 and 599),
    response_body   jsonb,
    created_at      timestamptz not null default now(),
    expires_at      timestamptz not null,
    primary key (tenant_id, key),
    check ((state = 'done') = (response_status is not null and response_body is not null)),
    check (expires_at >= created_at + interval '72 hours')
);
create index idempotency_keys_expiry_idx on idempotency_keys (tenant_id, expires_at);
select pg_temp.isolate('idempotency_keys');

-- The transactional outbox: a row is written in the same transaction as what it announces
-- and sent later by a worker. Rows name the order, never a recipient or any other
-- personal data; the sender reads and opens those when it sends (`order_placed` tells the
-- merchant, the others the buyer). One row per order and
-- kind, so nothing is announced twice.
create table outbox (
    tenant_id    uuid        not null references tenants (id),
    id           uuid        not null,
    kind         text        not null check (kind in ('order_placed', 'order_confirmation',
                                                      'shipping_notice')),
    order_id     uuid        not null,
    attempts     integer     not null default 0 check (attempts >= 0),
    available_at timestamptz not null default now(),
    sent_at      timestamptz,
    last_error   text        check (length(last_error) <= 500),
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, order_id, kind),
    foreign key (tenant_id, order_id) references orders (tenant_id, id) on delete cascade
);
create index outbox_due_idx on outbox (tenant_id, available_at) where sent_at is null;
select pg_temp.isolate('outbox');

-- The orders service writes orders and takes stock; it reads the catalog and the shop's
-- checkout settings (granted in the catalog migration) and nothing of staff.
grant select, insert, update on order_counters to orders;
grant select on shipping_rates, tax_rates to orders;
grant select, insert, update (status, refunded_minor, hold_until, updated_at) on orders to orders;
grant select, insert on order_lines, order_events to orders;
grant select, insert, update, delete on idempotency_keys to orders;
grant select, insert, update (attempts, available_at, sent_at, last_error) on outbox to orders;
grant update (stock) on variants to orders;

-- The merchant console sets rates, numbering and the hold; it manages orders through the
-- orders service, so it gets no grant on orders themselves.
grant select, insert, update, delete on shipping_rates, tax_rates to tenant_admin;
grant select, insert, update on order_counters to tenant_admin;
