-- Children (O19). A shop that sells to minors says so; its checkout then asks each
-- buyer's age band before any detail is kept. Under 13, nothing about the child is
-- stored until a parent or guardian has consented through an emailed link ("email
-- plus": a link to consent, then a confirmation mail), which the platform allows because
-- a shop shares buyers' data with nobody but the payment processor and the carrier,
-- who act for the shop. Products the merchant marks as 13+ are refused to visitors
-- under 13.

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

alter table store_settings add column sells_to_minors boolean not null default false;
alter table products add column thirteen_plus boolean not null default false;

-- A parent's or guardian's consent for one child's order. The child waits with a
-- 256-bit handle (only its SHA-256 kept); the guardian decides by a link with its own
-- 256-bit token (SHA-256 kept, the token sealed until mailed). The guardian's address is
-- sealed under the consent's own subject key. Unused consents go when they expire.
create table guardian_consents (
    tenant_id            uuid        not null references tenants (id),
    id                   uuid        not null,
    subject_id           uuid        not null,
    status               text        not null default 'pending'
                                     check (status in ('pending', 'consented', 'refused', 'used')),
    handle_hash          bytea       not null check (length(handle_hash) = 32),
    token_hash           bytea       not null check (length(token_hash) = 32),
    token_sealed         bytea,
    guardian_email_sealed bytea,
    policy_version       integer     check (policy_version > 0),
    requested_at         timestamptz not null default now(),
    expires_at           timestamptz not null,
    decided_at           timestamptz,
    used_at              timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, handle_hash),
    unique (tenant_id, token_hash),
    check (expires_at <= requested_at + interval '7 days'),
    check ((status = 'pending') = (decided_at is null)),
    check ((status = 'used') = (used_at is not null))
);
create index guardian_consents_expiry_idx on guardian_consents (tenant_id, status, expires_at);
select pg_temp.isolate('guardian_consents');
comment on column guardian_consents.subject_id is 'personal: pseudonym; the guardian as a data subject: their key seals the address';
comment on column guardian_consents.guardian_email_sealed is 'personal: contact, child; the parent''s or guardian''s email, sealed under their key';
comment on column guardian_consents.token_sealed is 'not personal: the consent link''s secret, sealed, kept until mailed';

alter table orders
    add column age_band text check (age_band in ('13_plus', 'under_13')),
    add column guardian_consent_id uuid,
    add constraint orders_child_has_consent
        check (age_band is distinct from 'under_13' or guardian_consent_id is not null);
comment on column orders.age_band is 'personal: child; the buyer''s age band, asked by shops that sell to minors';
comment on column orders.guardian_consent_id is 'personal: child; the guardian''s consent this child''s order was placed under';

alter table outbox
    add column guardian_consent_id uuid,
    add constraint outbox_guardian_fk foreign key (tenant_id, guardian_consent_id)
        references guardian_consents (tenant_id, id) on delete cascade,
    drop constraint outbox_one_subject,
    add constraint outbox_one_subject
        check (num_nonnulls(order_id, request_id, subscription_id, guardian_consent_id) = 1),
    drop constraint outbox_kind_check,
    add constraint outbox_kind_check check (kind in (
        'order_placed', 'order_confirmation', 'shipping_notice', 'policy_notice',
        'request_verify', 'request_extended', 'request_export', 'request_refused',
        'request_completed', 'erasure_certificate', 'subscribe_verify', 'newsletter',
        'guardian_consent', 'guardian_confirmed'));
comment on column outbox.guardian_consent_id is 'not personal: which consent a guardian''s mail is about';

-- Erasing a child's orders erases the guardian's address on the consent too (the
-- consent's subject is erased with the child's).
create or replace function erase_subjects(subjects uuid[]) returns bigint
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
    ), erased_subscriptions as (
        delete from subscriptions where subject_id = any(subjects)
        returning 1
    ), erased_guardians as (
        update guardian_consents set guardian_email_sealed = null, token_sealed = null
         where subject_id = any(subjects)
        returning 1
    )
    select (select count(*) from erased_orders) + (select count(*) from erased_payments)
         + (select count(*) from erased_requests) + (select count(*) from erased_exports)
         + (select count(*) from erased_subscriptions) + (select count(*) from erased_guardians);
$$;

grant select, insert, update, delete on guardian_consents to orders;
grant update (guardian_email_sealed, token_sealed) on guardian_consents to backup;
