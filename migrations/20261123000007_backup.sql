-- Backups (services/backup, O11, O14, O16).
--
-- The `backup` role reads every tenant table (to export it) and, to restore one tenant,
-- deletes and inserts that tenant's rows; row-level security binds it like every other
-- service role. Tables created later by the owner get the same grants by default, so a
-- new tenant table is backed up without anyone remembering to grant it.

grant select, insert, delete on all tables in schema public to backup;
alter default privileges in schema public grant select, insert, delete on tables to backup;
-- The schema version recorded in every manifest.
grant select on _sqlx_migrations to backup;
-- Restoring into a scratch database creates the shop's row there.
grant insert on tenants to backup;
-- A backup wraps its data key with the tenant key, created on first use like elsewhere.
grant insert on keys.tenant_keys to backup;

-- Published privacy policies are immutable for merchants; a restore replaces the
-- tenant's rows with identical or older published versions, so the backup role may.
create or replace function privacy_policies_immutable() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    if old.status = 'published' and current_user <> 'backup' then
        raise exception 'published privacy policy versions are immutable'
            using errcode = 'check_violation', constraint = 'privacy_policies_immutable';
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end
$$;

-- Retention per shop: grandfather-father-son, within platform bounds.
alter table store_settings
    add column backup_keep_daily   integer not null default 7  check (backup_keep_daily between 1 and 31),
    add column backup_keep_weekly  integer not null default 4  check (backup_keep_weekly between 0 and 52),
    add column backup_keep_monthly integer not null default 12 check (backup_keep_monthly between 0 and 36);

-- The erasure ledger: one row per data subject erased (O14). It lives in its own schema,
-- which backups neither export nor replace: a restore re-applies every erasure recorded
-- after the backup's position instead of rolling the ledger back. `seq` is per tenant
-- (no global sequence: the writer takes max + 1 under the tenant's lock).
create schema ledger;
grant usage on schema ledger to tenant_admin, orders, backup;

create table ledger.erasure_log (
    tenant_id  uuid        not null references public.tenants (id),
    seq        bigint      not null check (seq > 0),
    subject_id uuid        not null,
    erased_at  timestamptz not null default now(),
    primary key (tenant_id, seq)
);
create index erasure_log_subject_idx on ledger.erasure_log (tenant_id, subject_id);
alter table ledger.erasure_log enable row level security;
alter table ledger.erasure_log force row level security;
create policy tenant_isolation on ledger.erasure_log
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

grant select, insert on ledger.erasure_log to tenant_admin, orders;
grant select on ledger.erasure_log to backup;
