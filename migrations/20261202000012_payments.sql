-- Payments through the processor (O3, O12): each shop's signing keys (private halves
-- sealed by the vault), payments as the processor reports them, the processor's events
-- already applied (duplicates are dropped), and refunds.
--
-- What a payment keeps (O3): the processor's id and token, the card's brand, last four
-- digits and expiry month/year. Never a card number or security code: those are typed on
-- the processor's page and never reach the platform.

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

-- A fully refunded order is `refunded`; a partly refunded one keeps its status and its
-- refunded amount.
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check
    check (status in ('pending_payment', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'));

alter table order_events drop constraint order_events_kind_check;
alter table order_events add constraint order_events_kind_check
    check (kind in ('placed', 'payment_started', 'payment_captured', 'payment_failed',
                    'paid_after_cancel', 'shipped', 'delivered', 'cancelled', 'refunded',
                    'hold_expired'));

-- The shop's Ed25519 keys for requests to the processor (O12). One key signs at a time;
-- after a rotation the previous one stays valid (`retiring`) until `retire_at`, so
-- requests in flight still verify; a revoked key is refused by the processor at once.
create table signing_keys (
    tenant_id    uuid        not null references tenants (id),
    key_id       text        not null check (key_id ~ '^[A-Za-z0-9_-]{8,64}$'),
    public_key   text        not null check (public_key ~ '^[A-Za-z0-9_-]{43}$'),
    -- The 32-byte seed, sealed under the shop's data key.
    seed_sealed  bytea       not null,
    state        text        not null check (state in ('signing', 'retiring', 'retired', 'revoked')),
    created_at   timestamptz not null default now(),
    -- When the processor last accepted the key set holding this key in this state.
    published_at timestamptz,
    retire_at    timestamptz,
    revoked_at   timestamptz,
    revoked_by   text        check (revoked_by ~ '^(system|staff:[0-9a-f-]{36})$'),
    primary key (tenant_id, key_id),
    check ((state = 'retiring') = (retire_at is not null) or state in ('retired', 'revoked')),
    check ((state = 'revoked') = (revoked_at is not null))
);
create unique index signing_keys_one_signing_idx on signing_keys (tenant_id) where state = 'signing';
select pg_temp.isolate('signing_keys');

-- The order's payment at the processor: one per order (the processor keeps one open
-- payment per reference, the order id).
create table payments (
    tenant_id       uuid        not null,
    order_id        uuid        not null,
    processor_id    text        not null check (processor_id ~ '^[A-Za-z0-9_-]{1,100}$'),
    status          text        not null default 'pending'
                                check (status in ('pending', 'captured', 'expired')),
    amount_minor    bigint      not null check (amount_minor > 0),
    currency        text        not null check (currency ~ '^[A-Z]{3}$'),
    card_brand      text        check (card_brand ~ '^[a-z_]{1,20}$'),
    card_last4      text        check (card_last4 ~ '^[0-9]{4}$'),
    card_exp_month  smallint    check (card_exp_month between 1 and 12),
    card_exp_year   smallint    check (card_exp_year between 2000 and 2200),
    processor_token text        check (processor_token ~ '^[A-Za-z0-9_-]{1,100}$'),
    last_failure    text        check (last_failure ~ '^[a-z_]{1,40}$'),
    captured_at     timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (tenant_id, order_id),
    unique (tenant_id, processor_id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id),
    check ((status = 'captured') = (captured_at is not null))
);
select pg_temp.isolate('payments');

-- Processor events already applied: a second delivery of one event changes nothing.
create table processor_events (
    tenant_id   uuid        not null references tenants (id),
    event_id    text        not null check (event_id ~ '^[A-Za-z0-9_-]{1,100}$'),
    kind        text        not null check (kind ~ '^[a-z_]{1,40}$'),
    received_at timestamptz not null default now(),
    primary key (tenant_id, event_id)
);
select pg_temp.isolate('processor_events');

-- Refunds, each made through the processor under its own reference (the id).
create table refunds (
    tenant_id    uuid        not null,
    id           uuid        not null,
    order_id     uuid        not null,
    amount_minor bigint      not null check (amount_minor > 0),
    processor_id text        check (processor_id ~ '^[A-Za-z0-9_-]{1,100}$'),
    actor        text        not null check (actor ~ '^(system|staff:[0-9a-f-]{36})$'),
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, order_id) references orders (tenant_id, id)
);
create index refunds_order_idx on refunds (tenant_id, order_id, created_at);
select pg_temp.isolate('refunds');

grant select, insert on signing_keys to orders;
grant update (state, published_at, retire_at, revoked_at, revoked_by) on signing_keys to orders;
grant select, insert on payments to orders;
grant update (status, card_brand, card_last4, card_exp_month, card_exp_year, processor_token,
              last_failure, captured_at, updated_at) on payments to orders;
grant select, insert on processor_events, refunds to orders;
grant update (processor_id) on refunds to orders;
