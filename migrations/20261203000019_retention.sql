-- Retention by data class (O15): how long each shop keeps each kind of personal data,
-- within the platform's floors and ceilings (libs/domain `RetentionClass`, which these
-- checks repeat), and the report of every purge and preview.

alter table store_settings
    -- Contact, delivery and card details of an order, counted from its delivery (or its
    -- cancellation); the order itself stays, pseudonymised, for the accounts.
    add column retention_order_details_days integer not null default 730
        check (retention_order_details_days between 30 and 3650),
    -- The buyer's IP on an order (O5), counted from the order.
    add column retention_buyer_ip_days integer not null default 90
        check (retention_buyer_ip_days between 7 and 365),
    -- Ended staff sessions and login attempts.
    add column retention_staff_session_days integer not null default 90
        check (retention_staff_session_days between 30 and 400),
    -- Daily product view counts (aggregates, no person).
    add column retention_view_count_days integer not null default 400
        check (retention_view_count_days between 30 and 1100),
    -- Which mail went out about which order or request.
    add column retention_mail_days integer not null default 90
        check (retention_mail_days between 7 and 730);

comment on column store_settings.retention_buyer_ip_days is 'not personal: how many days buyers'' IP addresses are kept';

-- An IP may now go before the rest of the buyer's details.
alter table orders
    drop constraint orders_erased_or_whole,
    add constraint orders_erased_or_whole check (erased_at is not null or contact_sealed is not null);

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

-- Each purge and each preview: when, by whom (a member, or the daily run), and how many
-- rows of each class went (or would go).
create table retention_runs (
    tenant_id uuid        not null references tenants (id),
    id        uuid        not null,
    at        timestamptz not null,
    dry_run   boolean     not null,
    staff_id  uuid,
    counts    jsonb       not null check (jsonb_typeof(counts) = 'object'),
    primary key (tenant_id, id)
);
create index retention_runs_recent_idx on retention_runs (tenant_id, at desc);
select pg_temp.isolate('retention_runs');
comment on column retention_runs.staff_id is 'not personal: the member who ran it (none: the daily run)';

grant select, insert on retention_runs to tenant_admin;
grant delete on outbox to orders;
grant delete on staff_sessions, login_attempts, product_view_counts to tenant_admin;
