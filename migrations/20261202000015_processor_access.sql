-- Processor-side access control (O8, O10, O21, O22, O24).
--
-- Platform staff (the processor's employees) live in their own schema, `processor`, which
-- only the access-control service reads: they are not tenant data. What a shop may see of
-- them is copied into the shop's own rows (a stable pseudonym, the role, the employing
-- entity), so tenant-admin never reads the `processor` schema.
--
-- Grants, their notices and the disclosure log are tenant rows (under the shop's row-level
-- security) in the `processor` schema, which backups neither export nor replace: a
-- restore must never bring an ended grant back to life, nor roll back the record of a
-- disclosure.
--
-- A grant (`processor.access_grants`) names a shop, a staff member, the classes of
-- personal data it reveals and how long. The database enforces it: the `access_control`
-- role reads order rows only while an approved, unexpired grant for that shop and staff
-- member exists (restrictive row-level security), and it reads personal columns only
-- through `processor.orders`, where each column of a class outside the grant is NULL.
-- The staff member is named by the transaction-local setting `app.platform_staff`, set by
-- the service beside `app.tenant_id`.

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

create schema processor;
revoke all on schema processor from public;
grant usage on schema processor to access_control, tenant_admin;


-- The processor's staff. `pseudonym` is what merchants see: stable, random, not a name.
-- Login needs all three: the client certificate whose SHA-256 is `cert_fingerprint`
-- (issued by the platform staff CA), the password (argon2id) and a TOTP code. The TOTP
-- secret is sealed under its own data key, wrapped by the platform KEK.
create table processor.staff (
    id               uuid        primary key,
    pseudonym        uuid        not null unique,
    login            text        not null unique check (login ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    name             text        not null check (length(name) between 1 and 200),
    entity           text        not null check (length(entity) between 1 and 200),
    password_hash    text        not null,
    cert_fingerprint bytea       not null unique check (length(cert_fingerprint) = 32),
    totp_sealed      bytea       not null,
    totp_key         bytea       not null,
    totp_kek_id      text        not null,
    totp_kek_version integer     not null,
    totp_last_step   bigint,
    failed_streak    integer     not null default 0 check (failed_streak >= 0),
    locked_until     timestamptz,
    created_at       timestamptz not null default now(),
    created_by       uuid        references processor.staff (id),
    last_login_at    timestamptz,
    disabled_at      timestamptz
);

-- Roles, each an eligibility a security officer re-confirms at least every 90 days; one
-- not re-confirmed, or unused for 30 days, is removed by the review sweep.
create table processor.staff_roles (
    staff_id     uuid        not null references processor.staff (id) on delete cascade,
    role         text        not null check (role in ('support', 'billing_ops', 'sre', 'security')),
    granted_at   timestamptz not null default now(),
    granted_by   uuid        references processor.staff (id),
    confirmed_at timestamptz not null default now(),
    confirmed_by uuid        references processor.staff (id),
    last_used_at timestamptz,
    primary key (staff_id, role)
);

-- Console sessions, bound to the certificate that opened them.
create table processor.sessions (
    token_hash       bytea       primary key check (length(token_hash) = 32),
    staff_id         uuid        not null references processor.staff (id) on delete cascade,
    cert_fingerprint bytea       not null check (length(cert_fingerprint) = 32),
    csrf_token       text        not null,
    created_at       timestamptz not null,
    last_seen_at     timestamptz not null,
    revoked_at       timestamptz
);
create index processor_sessions_staff_idx on processor.sessions (staff_id);

-- What happened to platform staff accounts (created, roles changed, disabled, removed by
-- review): the processor's own log, platform-wide.
create table processor.staff_events (
    id       uuid        primary key,
    at       timestamptz not null default now(),
    actor    uuid        references processor.staff (id),
    staff_id uuid        not null references processor.staff (id),
    action   text        not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
    detail   jsonb       not null default '{}' check (jsonb_typeof(detail) = 'object')
);
create index processor_staff_events_idx on processor.staff_events (staff_id, at desc);

grant select, insert, update, delete on processor.staff, processor.staff_roles,
    processor.sessions to access_control;
grant select, insert on processor.staff_events to access_control;

-- The operator the transaction acts for (set by the tenancy lib beside the shop).
create function processor.current_staff() returns uuid
    language sql stable
    set search_path = pg_catalog
as $$ select nullif(current_setting('app.platform_staff', true), '')::uuid $$;

create function processor.is_security() returns boolean
    language sql stable
    set search_path = pg_catalog
as $$
    select exists (
        select 1 from processor.staff_roles r
        join processor.staff s on s.id = r.staff_id
        where r.staff_id = processor.current_staff() and r.role = 'security'
          and s.disabled_at is null)
$$;


-- A grant: one shop, one staff member, some classes, a bounded time (O8, O21).
-- `kind = 'grant'` is approved by one of the shop's owners; `'break_glass'` by a second
-- security officer, with a written reason and an incident id, for at most an hour.
create table processor.access_grants (
    tenant_id       uuid        not null references tenants (id),
    id              uuid        not null,
    -- processor.staff (id); no foreign key: a tenant row points at no platform row.
    staff_id        uuid        not null,
    -- What the shop sees of the requester.
    operator        uuid        not null,
    operator_role   text        not null check (operator_role in ('support', 'billing_ops', 'sre', 'security')),
    operator_entity text        not null check (length(operator_entity) between 1 and 200),
    kind            text        not null check (kind in ('grant', 'break_glass')),
    purpose         text        not null check (purpose in ('customer_support', 'merchant_support',
                                                            'billing_support', 'incident', 'other')),
    ticket          text        check (ticket ~ '^[A-Za-z0-9._#-]{1,60}$'),
    reason          text        not null check (length(reason) between 1 and 2000),
    incident_id     text        check (incident_id ~ '^[A-Za-z0-9._#-]{1,60}$'),
    classes         text[]      not null check (cardinality(classes) between 1 and 8 and classes <@
                        array['contact', 'shipping', 'billing', 'network', 'marketing',
                              'account', 'child', 'activity']),
    minutes         integer     not null check (minutes between 15 and 1440),
    requested_at    timestamptz not null,
    pending_until   timestamptz not null,
    status          text        not null default 'pending'
                                check (status in ('pending', 'approved', 'denied', 'withdrawn',
                                                  'expired', 'ended')),
    decided_at      timestamptz,
    -- A shop staff id (grant) or a platform staff id (break-glass).
    decided_by      uuid,
    starts_at       timestamptz,
    ends_at         timestamptz,
    first_used_at   timestamptz,
    last_used_at    timestamptz,
    ended_at        timestamptz,
    ended_by        text        check (ended_by ~ '^(system|staff:[0-9a-f-]{36}|platform:[0-9a-f-]{36})$'),
    -- Break-glass: the post-incident note, due 72 hours after approval.
    incident_note   text        check (length(incident_note) between 40 and 10000),
    incident_note_at timestamptz,
    primary key (tenant_id, id),
    check (kind <> 'break_glass' or (length(reason) >= 40 and incident_id is not null and minutes <= 60)),
    check (status <> 'approved' or (starts_at is not null and ended_at is null)),
    check ((starts_at is null) = (ends_at is null))
);
create index access_grants_staff_idx on processor.access_grants (staff_id, requested_at desc);
create index access_grants_open_idx on processor.access_grants (tenant_id, status) where status in ('pending', 'approved');
select pg_temp.isolate('processor.access_grants');
-- Across shops, the access-control service reads (never writes) only the grants of the
-- operator its transaction names, or every grant when that operator is a security officer
-- (the break-glass queue, the access review): the processor's record of its own access,
-- no visitor data. Writes stay under the shop's tenant predicate.
create policy operator_scope on processor.access_grants for select to access_control
    using (staff_id = processor.current_staff() or processor.is_security());

grant select, insert, update (status, decided_at, decided_by, starts_at, ends_at, first_used_at,
    last_used_at, ended_at, ended_by, incident_note, incident_note_at) on processor.access_grants to access_control;
grant select, update (status, decided_at, decided_by, starts_at, ends_at, ended_at, ended_by)
    on processor.access_grants to tenant_admin;

-- Mail to the shop's owners about grants and disclosures, sent by tenant-admin (which
-- alone reads the owners' addresses).
create table processor.grant_notices (
    tenant_id     uuid        not null references tenants (id),
    id            uuid        not null,
    grant_id      uuid,
    disclosure_id uuid,
    kind          text        not null check (kind in ('requested', 'approved', 'denied', 'withdrawn',
                                                       'first_use', 'ended', 'expired', 'break_glass',
                                                       'disclosure', 'monthly')),
    period        date,
    created_at    timestamptz not null default now(),
    available_at  timestamptz not null default now(),
    attempts      integer     not null default 0,
    sent_at       timestamptz,
    last_error    text        check (length(last_error) <= 200),
    primary key (tenant_id, id),
    unique (tenant_id, kind, period)
);
create index grant_notices_due_idx on processor.grant_notices (tenant_id, available_at) where sent_at is null;
select pg_temp.isolate('processor.grant_notices');
grant select, insert on processor.grant_notices to access_control;
grant select, insert, update (attempts, available_at, sent_at, last_error) on processor.grant_notices to tenant_admin;

-- Legally forced disclosures (O24). The owners see one once it is recorded, or, under a
-- non-disclosure order, once that order ends: the restrictive policy keeps it from
-- tenant-admin until then, whatever the code asks.
create table processor.disclosures (
    tenant_id    uuid        not null references tenants (id),
    id           uuid        not null,
    recorded_at  timestamptz not null,
    recorded_by  uuid        not null,
    authority    text        not null check (length(authority) between 1 and 300),
    instrument   text        not null check (length(instrument) between 1 and 300),
    jurisdiction text        not null check (length(jurisdiction) between 1 and 100),
    classes      text[]      not null check (cardinality(classes) between 1 and 8 and classes <@
                     array['contact', 'shipping', 'billing', 'network', 'marketing',
                           'account', 'child', 'activity']),
    subjects     text        not null check (length(subjects) between 1 and 2000),
    gag_until    timestamptz,
    gag_order    text        check (length(gag_order) between 1 and 300),
    notified_at  timestamptz,
    primary key (tenant_id, id),
    check ((gag_until is null) = (gag_order is null))
);
select pg_temp.isolate('processor.disclosures');
create policy operator_scope on processor.disclosures for select to access_control
    using (processor.is_security());
create policy gagged on processor.disclosures as restrictive for select to tenant_admin
    using (gag_until is null or gag_until <= now());
grant select, insert, update (notified_at) on processor.disclosures to access_control;
grant select on processor.disclosures to tenant_admin;

-- The grant check the restrictive policies and the function below share. `now()` is the transaction's start: a grant ends for every statement begun after
-- its end.
create function processor.granted(shop uuid, class text) returns boolean
    language sql stable
    set search_path = pg_catalog, public
as $$
    select exists (
        select 1 from processor.access_grants g
        where g.tenant_id = shop
          and g.staff_id = processor.current_staff()
          and g.status = 'approved'
          and g.starts_at <= now() and now() < g.ends_at
          and (class is null or class = any (g.classes)))
$$;

-- Order rows: only under an active grant of any class. Columns the role may read directly
-- hold no personal data; personal ones come through processor.orders below.
create policy processor_grant on orders as restrictive for select to access_control
    using (processor.granted(tenant_id, null));
create policy processor_grant on order_lines as restrictive for select to access_control
    using (processor.granted(tenant_id, null));
create policy processor_grant on order_events as restrictive for select to access_control
    using (processor.granted(tenant_id, null));
create policy processor_grant on payments as restrictive for select to access_control
    using (processor.granted(tenant_id, null));
grant select (tenant_id, id, number, reference, status, currency, shipping_rate_name, created_at,
    updated_at, carrier, tracking_number, shipped_at, delivered_at) on orders to access_control;
grant select on order_lines, order_events to access_control;
grant select (tenant_id, order_id, status) on payments to access_control;

-- Personal columns, each masked (NULL) unless the grant covers its class: a security
-- definer function (its owner stays under the shop's forced row-level security, so
-- `app.tenant_id` scopes it as every reader), filtered by the same grant check as the
-- restrictive policy. It is the access-control role's only way to personal columns.
create function processor.orders_seen(only_order uuid, before_number bigint, max_rows integer)
    returns table (tenant_id uuid, id uuid, number bigint, reference text, status text,
                   currency text, created_at timestamptz, shipping_rate_name text,
                   carrier text, tracking_number text, shipped_at timestamptz,
                   delivered_at timestamptz, subject_id uuid, contact_sealed bytea,
                   shipping_sealed bytea, buyer_ip inet, subtotal_minor bigint,
                   shipping_minor bigint, tax_minor bigint, total_minor bigint,
                   refunded_minor bigint, card_brand text, card_last4 text,
                   card_exp_month smallint, card_exp_year smallint, processor_token text)
    language sql stable security definer
    set search_path = pg_catalog, public
as $$
    select o.tenant_id, o.id, o.number, o.reference, o.status, o.currency, o.created_at,
           o.shipping_rate_name, o.carrier, o.tracking_number, o.shipped_at, o.delivered_at,
           o.subject_id,
           case when processor.granted(o.tenant_id, 'contact') then o.contact_sealed end,
           case when processor.granted(o.tenant_id, 'shipping') then o.shipping_sealed end,
           case when processor.granted(o.tenant_id, 'network') then o.buyer_ip end,
           case when processor.granted(o.tenant_id, 'billing') then o.subtotal_minor end,
           case when processor.granted(o.tenant_id, 'billing') then o.shipping_minor end,
           case when processor.granted(o.tenant_id, 'billing') then o.tax_minor end,
           case when processor.granted(o.tenant_id, 'billing') then o.total_minor end,
           case when processor.granted(o.tenant_id, 'billing') then o.refunded_minor end,
           case when processor.granted(o.tenant_id, 'billing') then p.card_brand end,
           case when processor.granted(o.tenant_id, 'billing') then p.card_last4 end,
           case when processor.granted(o.tenant_id, 'billing') then p.card_exp_month end,
           case when processor.granted(o.tenant_id, 'billing') then p.card_exp_year end,
           case when processor.granted(o.tenant_id, 'billing') then p.processor_token end
    from public.orders o
    left join public.payments p on p.tenant_id = o.tenant_id and p.order_id = o.id
    where processor.granted(o.tenant_id, null)
      and (only_order is null or o.id = only_order)
      and (before_number is null or o.number < before_number)
    order by o.number desc
    limit greatest(1, least(coalesce(max_rows, 50), 200))
$$;
revoke all on function processor.orders_seen(uuid, bigint, integer) from public;
grant execute on function processor.orders_seen(uuid, bigint, integer) to access_control;

-- The platform audit log sign-in: platform actors name their employing entity.
alter table audit.events add column actor_entity text check (length(actor_entity) between 1 and 200);

