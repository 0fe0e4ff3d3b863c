-- Data-subject requests (O13, O14): a visitor (or the merchant on their behalf) asks the
-- shop for their data, for a correction or for erasure. The orders service keeps them,
-- since it holds the buyers' data; the merchant console handles them through it.
--
-- A request is itself personal data (class activity): the requester's email and the text
-- of a correction are sealed under the request's own subject key, looked up by the same
-- keyed blind index as orders. Once an erasure is done and its certificate mailed, that
-- key is destroyed too and only the request's kind, dates and outcome stay, as proof.

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

-- How long the shop keeps pseudonymised order records for its accounts (the law of the
-- merchant's country: 10 years in Germany and France, 7 in the Netherlands, 6 in the UK).
alter table store_settings
    add column accounting_years integer not null default 10 check (accounting_years between 5 and 11);

create table privacy_requests (
    tenant_id        uuid        not null references tenants (id),
    id               uuid        not null,
    kind             text        not null check (kind in ('access', 'correction', 'erasure')),
    -- Who opened it: the visitor (verified by an emailed link) or a member of the shop's
    -- staff on the visitor's behalf (who checked who they are).
    source           text        not null check (source in ('visitor', 'merchant')),
    opened_by        uuid,
    status           text        not null default 'unverified'
                                 check (status in ('unverified', 'open', 'completed', 'refused')),
    subject_id       uuid        not null,
    email_index      bytea       check (length(email_index) = 32),
    email_sealed     bytea,
    details_sealed   bytea,
    -- SHA-256 of the emailed confirmation token; single use, for 24 hours.
    verify_hash      bytea       check (length(verify_hash) = 32),
    verify_until     timestamptz,
    -- The token itself, sealed, kept only until the confirmation mail has left.
    verify_token_sealed bytea,
    received_at      timestamptz not null default now(),
    verified_at      timestamptz,
    -- GDPR Art. 12(3): one calendar month from receipt, extendable once by two more.
    due_on           date,
    extended_to      date,
    extension_reason text        check (length(extension_reason) between 10 and 1000),
    extended_at      timestamptz,
    closed_at        timestamptz,
    closed_by        uuid,
    -- Why it was refused, or what was done.
    outcome          text        check (length(outcome) <= 2000),
    -- The signed erasure certificate (no personal data in it).
    certificate      jsonb,
    reminded_at      timestamptz,
    erased_at        timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, verify_hash),
    check ((status = 'unverified') = (verified_at is null)),
    check ((status = 'unverified') = (due_on is null)),
    check ((status in ('completed', 'refused')) = (closed_at is not null)),
    check ((source = 'merchant') = (opened_by is not null)),
    check ((extended_to is null) = (extension_reason is null)
           and (extended_to is null) = (extended_at is null)),
    -- The deadline as Art. 12(3) counts it from the day the request was confirmed (UTC).
    check (due_on = ((verified_at at time zone 'UTC')::date + interval '1 month')::date),
    check (extended_to is null
           or (extended_to > due_on
               and extended_to <= ((verified_at at time zone 'UTC')::date + interval '3 months')::date)),
    check (erased_at is not null or email_sealed is not null)
);
create index privacy_requests_open_idx on privacy_requests (tenant_id, status, received_at desc);
create index privacy_requests_email_idx on privacy_requests (tenant_id, email_index)
    where email_index is not null;
select pg_temp.isolate('privacy_requests');

comment on column privacy_requests.subject_id is 'personal: pseudonym; the requester as a data subject: their key seals the fields below';
comment on column privacy_requests.email_index is 'personal: contact; keyed blind index of the requester''s email';
comment on column privacy_requests.email_sealed is 'personal: contact; the requester''s email, sealed under their key';
comment on column privacy_requests.details_sealed is 'personal: activity; what the requester asked to have corrected, sealed';
comment on column privacy_requests.verify_token_sealed is 'not personal: the confirmation link''s secret, sealed, kept until mailed';
comment on column privacy_requests.extension_reason is 'not personal: the shop''s reason for needing more time, written for the requester';
comment on column privacy_requests.outcome is 'not personal: what the shop did or why it refused, written for the requester';

-- An access request's answer: the document sealed under the requester's key, fetched by
-- a link that holds a 256-bit token (only its SHA-256 is kept) and works for 3 days.
create table privacy_exports (
    tenant_id       uuid        not null,
    id              uuid        not null,
    request_id      uuid        not null,
    token_hash      bytea       not null check (length(token_hash) = 32),
    -- The token itself, sealed, kept only until the link has been mailed.
    token_sealed    bytea,
    document_sealed bytea       not null,
    created_at      timestamptz not null default now(),
    expires_at      timestamptz not null,
    opened_at       timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, token_hash),
    foreign key (tenant_id, request_id) references privacy_requests (tenant_id, id) on delete cascade,
    check (expires_at <= created_at + interval '3 days')
);
create index privacy_exports_expiry_idx on privacy_exports (tenant_id, expires_at);
select pg_temp.isolate('privacy_exports');
comment on column privacy_exports.token_sealed is 'not personal: the link''s secret, sealed, kept until mailed';
comment on column privacy_exports.document_sealed is 'personal: contact, shipping, billing, network, marketing, activity; everything the shop held about the requester, sealed under their key';

-- Erasure keeps what the accounts need: amounts, tax, the destination country and the
-- order number; `country` is written when the order is placed, `erased_at` marks rows
-- whose personal columns were removed (restores keep such rows and erase them again).
alter table orders
    add column country   text check (country ~ '^[A-Z]{2}$'),
    add column erased_at timestamptz,
    alter column contact_sealed drop not null,
    alter column buyer_ip drop not null,
    add constraint orders_erased_or_whole
        check (erased_at is not null or (contact_sealed is not null and buyer_ip is not null));
comment on column orders.country is 'personal: billing; the destination country, kept, pseudonymised, for tax accounting';
comment on column orders.erased_at is 'not personal: when the buyer''s details were erased';

-- The outbox also carries the mail of requests: one row per request and kind.
alter table outbox
    alter column order_id drop not null,
    add column request_id uuid,
    add constraint outbox_request_fk foreign key (tenant_id, request_id)
        references privacy_requests (tenant_id, id) on delete cascade,
    add constraint outbox_one_subject check (num_nonnulls(order_id, request_id) = 1),
    add constraint outbox_request_kind unique (tenant_id, request_id, kind),
    drop constraint outbox_kind_check,
    add constraint outbox_kind_check check (kind in (
        'order_placed', 'order_confirmation', 'shipping_notice',
        'request_verify', 'request_extended', 'request_export', 'request_refused',
        'request_completed', 'erasure_certificate'));

-- Erasing people: every personal column of their orders, payments and requests removed,
-- keeping what the accounts need. One definition for the orders service (erasure) and
-- the backup worker (re-applying the ledger after a restore). Runs with the caller's
-- rights, so row-level security keeps it inside the caller's shop.
create function erase_subjects(subjects uuid[]) returns bigint
    language sql
    set search_path = pg_catalog, public
as $$
    with erased_orders as (
        update orders
           set email_index = null, contact_sealed = null, shipping_sealed = null,
               buyer_ip = null, erased_at = coalesce(erased_at, now())
         where subject_id = any(subjects)
        returning id
    ), erased_payments as (
        update payments
           set card_brand = null, card_last4 = null, card_exp_month = null,
               card_exp_year = null, processor_token = null
         where order_id in (select id from erased_orders)
        returning 1
    ), erased_requests as (
        update privacy_requests
           set email_index = null, email_sealed = null, details_sealed = null,
               verify_hash = null, verify_token_sealed = null,
               erased_at = coalesce(erased_at, now())
         where subject_id = any(subjects)
        returning 1
    ), erased_exports as (
        delete from privacy_exports
         where request_id in (select id from privacy_requests where subject_id = any(subjects))
        returning 1
    )
    select (select count(*) from erased_orders) + (select count(*) from erased_payments)
         + (select count(*) from erased_requests) + (select count(*) from erased_exports);
$$;
revoke all on function erase_subjects(uuid[]) from public;
grant execute on function erase_subjects(uuid[]) to orders, backup;

-- Orders deletes a request only when nobody confirmed it before its link expired.
grant select, insert, update, delete on privacy_requests to orders;
grant select, insert, delete on privacy_exports to orders;
grant update (opened_at, token_sealed) on privacy_exports to orders;
grant update (email_index, contact_sealed, shipping_sealed, buyer_ip, erased_at, country)
    on orders to orders;
grant update (email_index, contact_sealed, shipping_sealed, buyer_ip, erased_at) on orders to backup;
grant update (card_brand, card_last4, card_exp_month, card_exp_year, processor_token) on payments to backup;
grant update (email_index, email_sealed, details_sealed, verify_hash, verify_token_sealed, erased_at)
    on privacy_requests to backup;
-- The console reminds the owners of requests that near their deadline (it alone reads the
-- owners' addresses); it reads no sealed field of a request.
grant select (tenant_id, id, kind, source, status, received_at, due_on, extended_to, reminded_at)
    on privacy_requests to tenant_admin;
grant update (reminded_at) on privacy_requests to tenant_admin;
