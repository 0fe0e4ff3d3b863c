-- Platform foundation: service login roles, database privileges, and the `tenants` table.
--
-- Runs as the owner role (`platform_owner`: CREATEROLE, but neither superuser nor
-- BYPASSRLS). Roles are cluster-wide: another database on the same cluster (a test
-- database, a second environment) may already have created them, possibly at the same
-- moment, so creation tolerates both "already exists" outcomes.

do $$
declare
    r text;
begin
    foreach r in array array['storefront', 'cart', 'orders', 'tenant_admin', 'access_control', 'backup'] loop
        begin
            execute format(
                'create role %I login nosuperuser noinherit nocreatedb nocreaterole nobypassrls noreplication',
                r);
        exception when duplicate_object or unique_violation then
            null; -- created earlier, or by a concurrent migration of another database
        end;
    end loop;

    -- Only the service roles may connect; nobody but the owner creates objects.
    execute format('revoke all on database %I from public', current_database());
    execute format(
        'grant connect, temporary on database %I to storefront, cart, orders, tenant_admin, access_control, backup',
        current_database());
end
$$;

revoke create on schema public from public;
grant usage on schema public to storefront, cart, orders, tenant_admin, access_control, backup;

-- Platform-level table: one row per merchant. It has no `tenant_id` column (it *is* the
-- tenant), so it is not under row-level security; it holds no personal data.
create table tenants (
    id           uuid        primary key,
    handle       text        not null unique
                             check (handle ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
    display_name text        not null check (length(display_name) between 1 and 200),
    host_names   text[]      not null default '{}'
                             check (array_position(host_names, null) is null),
    status       text        not null default 'active'
                             check (status in ('active', 'suspended', 'deleted')),
    created_at   timestamptz not null default now()
);

-- The storefront resolves a tenant from the Host header: `host_names @> array[$1]`.
create index tenants_host_names_idx on tenants using gin (host_names);

-- A host name belongs to at most one tenant. An array column cannot carry a unique
-- constraint, so a trigger checks overlaps under a transaction-scoped advisory lock
-- (serialising concurrent writers of host names) and raises the same SQLSTATE as a
-- unique violation, with a constraint name callers can match on.
create function tenants_host_names_unique() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    perform pg_advisory_xact_lock(hashtext('tenants.host_names'));
    if exists (
        select 1 from public.tenants t
        where t.id <> new.id and t.host_names && new.host_names
    ) then
        raise exception 'a host name of tenant % is already in use', new.id
            using errcode = 'unique_violation', constraint = 'tenants_host_names_unique';
    end if;
    return new;
end
$$;

create trigger tenants_host_names_unique
    before insert or update of host_names on tenants
    for each row execute function tenants_host_names_unique();

grant select on tenants to storefront, cart, orders, tenant_admin, access_control, backup;
grant insert, update (display_name, host_names, status) on tenants to tenant_admin;
