-- Marketing consent and one-click unsubscribe (O17, O18, O20). A visitor asks for the
-- shop's news (an unticked box at checkout, or the sign-up form on the storefront); an
-- emailed single-use link confirms it (double opt-in) before any promotion is sent. Each
-- subscription row is the consent record: when, where (source), for what (purpose), how
-- (the box or the form, then the emailed link) and which privacy-policy version the
-- person was shown; withdrawal is recorded on the same row.
--
-- The subscriber's email is sealed under the subscription's own subject key and found
-- by the same keyed blind index as orders and requests, so an access request lists the
-- person's consents and an erasure removes them. On withdrawal the address and the
-- unsubscribe secret go and the key is destroyed; the dates stay as proof that the
-- withdrawal was honoured.

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

create table subscriptions (
    tenant_id          uuid        not null references tenants (id),
    id                 uuid        not null,
    status             text        not null default 'pending'
                                   check (status in ('pending', 'confirmed', 'withdrawn')),
    subject_id         uuid        not null,
    email_index        bytea       not null check (length(email_index) = 32),
    email_sealed       bytea,
    -- Where consent was given and how: the unticked box at checkout, or the sign-up form.
    source             text        not null check (source in ('checkout', 'signup_form')),
    purpose            text        not null default 'marketing_email'
                                   check (purpose in ('marketing_email')),
    -- The privacy policy version the person was shown when they asked (none published).
    policy_version     integer     check (policy_version > 0),
    requested_at       timestamptz not null default now(),
    -- SHA-256 of the emailed confirmation token; single use, for 24 hours; the token
    -- itself sealed only until the confirmation mail has left.
    confirm_hash       bytea       check (length(confirm_hash) = 32),
    confirm_token_sealed bytea,
    confirm_until      timestamptz not null,
    confirmed_at       timestamptz,
    -- SHA-256 of the unsubscribe secret in every promotional mail's links, and the
    -- secret sealed (to write those links) until the subscription is withdrawn.
    unsubscribe_hash   bytea       not null check (length(unsubscribe_hash) = 32),
    unsubscribe_sealed bytea,
    withdrawn_at       timestamptz,
    withdrawal_method  text        check (withdrawal_method in ('one_click', 'unsubscribe_page', 'mailto')),
    primary key (tenant_id, id),
    unique (tenant_id, confirm_hash),
    unique (tenant_id, unsubscribe_hash),
    check ((status = 'confirmed') = (confirmed_at is not null and withdrawn_at is null)),
    check ((status = 'withdrawn') = (withdrawn_at is not null)),
    check ((withdrawn_at is null) = (withdrawal_method is null)),
    check (status = 'withdrawn' or (email_sealed is not null and unsubscribe_sealed is not null)),
    check (status <> 'withdrawn' or (email_sealed is null and unsubscribe_sealed is null
                                      and confirm_token_sealed is null)),
    check (confirm_until <= requested_at + interval '24 hours')
);
-- At most one live subscription per address; withdrawn ones stay as history.
create unique index subscriptions_live_idx on subscriptions (tenant_id, email_index)
    where status in ('pending', 'confirmed');
create index subscriptions_status_idx on subscriptions (tenant_id, status);
select pg_temp.isolate('subscriptions');

comment on column subscriptions.subject_id is 'personal: pseudonym; the subscriber as a data subject: their key seals the fields below';
comment on column subscriptions.email_index is 'personal: marketing; keyed blind index of the subscriber''s email';
comment on column subscriptions.email_sealed is 'personal: marketing; the subscriber''s email, sealed under their key';
comment on column subscriptions.confirm_token_sealed is 'not personal: the confirmation link''s secret, sealed, kept until mailed';
comment on column subscriptions.unsubscribe_sealed is 'not personal: the unsubscribe links'' secret, sealed, kept while subscribed';

-- A newsletter the merchant wrote: its text is the shop's, not anybody's personal data.
create table newsletters (
    tenant_id   uuid        not null references tenants (id),
    id          uuid        not null,
    subject     text        not null check (length(subject) between 1 and 200),
    body        text        not null check (length(body) between 1 and 20000),
    sent_by     uuid        not null,
    created_at  timestamptz not null default now(),
    recipients  integer     not null check (recipients >= 0),
    primary key (tenant_id, id)
);
create index newsletters_created_idx on newsletters (tenant_id, created_at desc);
select pg_temp.isolate('newsletters');
comment on column newsletters.subject is 'not personal: the subject line the merchant wrote';
comment on column newsletters.sent_by is 'personal: pseudonym; the member of staff who sent it';

-- The outbox carries the confirmation mail, each newsletter copy and policy notices to
-- subscribers: one subject per row (an order, a request or a subscription).
alter table outbox
    add column subscription_id uuid,
    add column newsletter_id uuid,
    add constraint outbox_subscription_fk foreign key (tenant_id, subscription_id)
        references subscriptions (tenant_id, id) on delete cascade,
    add constraint outbox_newsletter_fk foreign key (tenant_id, newsletter_id)
        references newsletters (tenant_id, id) on delete cascade,
    drop constraint outbox_one_subject,
    add constraint outbox_one_subject check (num_nonnulls(order_id, request_id, subscription_id) = 1),
    add constraint outbox_newsletter check ((kind = 'newsletter') = (newsletter_id is not null)),
    drop constraint outbox_kind_check,
    add constraint outbox_kind_check check (kind in (
        'order_placed', 'order_confirmation', 'shipping_notice', 'policy_notice',
        'request_verify', 'request_extended', 'request_export', 'request_refused',
        'request_completed', 'erasure_certificate', 'subscribe_verify', 'newsletter'));
create unique index outbox_newsletter_idx on outbox (tenant_id, newsletter_id, subscription_id)
    where newsletter_id is not null;
create unique index outbox_subscriber_notice_idx on outbox (tenant_id, subscription_id, policy_version)
    where subscription_id is not null and policy_version is not null;

-- The outbox refuses promotional mail without a confirmed consent (O17): a newsletter row
-- waiting to be sent must point at a confirmed subscription. Withdrawing settles the
-- subscription's waiting rows in the same transaction, so no snapshot (and so no restore)
-- holds a waiting newsletter for anyone who is not subscribed.
create function outbox_needs_consent() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    if new.kind = 'newsletter' and new.sent_at is null and not exists (
        select 1 from subscriptions s
         where s.tenant_id = new.tenant_id and s.id = new.subscription_id
           and s.status = 'confirmed') then
        raise exception 'promotional mail needs a confirmed consent'
            using errcode = 'check_violation', constraint = 'outbox_needs_consent';
    end if;
    return new;
end
$$;
create trigger outbox_needs_consent before insert on outbox
    for each row execute function outbox_needs_consent();

-- Erasure also deletes the person's subscriptions (their consent records and queued
-- mail with them).
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
    )
    select (select count(*) from erased_orders) + (select count(*) from erased_payments)
         + (select count(*) from erased_requests) + (select count(*) from erased_exports)
         + (select count(*) from erased_subscriptions);
$$;

grant select, insert, update, delete on subscriptions to orders;
grant select, insert on newsletters to orders;
