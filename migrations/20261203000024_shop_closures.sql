-- Closing a shop (GDPR Art. 28(3)(g)): an owner asks, after a full export, with password
-- and code; the shop keeps serving through a grace period (14 days or more) during which
-- any owner can cancel and no new order is taken; then the backup worker deletes every
-- row of the shop in every schema, destroys its keys (its backups become unreadable and
-- are pruned as they expire), frees its host names and leaves a tombstone in `tenants`;
-- the owner receives a signed deletion certificate.
--
-- The closure record lives in the `ledger` schema, which backups neither export nor
-- replace: a restore must never bring a cancelled or finished closure back, and the
-- record must outlive the rows it deleted.

create table ledger.shop_closures (
    tenant_id          uuid        not null references public.tenants (id),
    id                 uuid        not null,
    requested_by       uuid        not null,
    requested_at       timestamptz not null,
    close_at           timestamptz not null,
    -- The export the owner received before confirming.
    export_sha256      bytea       not null check (length(export_sha256) = 32),
    export_made_at     timestamptz not null,
    cancelled_at       timestamptz,
    cancelled_by       uuid,
    closed_at          timestamptz,
    certificate        jsonb,
    -- Opened from the owner's sealed account just before the keys are destroyed, so the
    -- certificate can reach them; removed as soon as it was sent.
    owner_email        text,
    certificate_sent_at timestamptz,
    mail_attempts      integer     not null default 0,
    -- Backups made before the closure stay (unreadable) until they expire: each one
    -- `backup_horizon_days` after it was made.
    backup_horizon_days integer    check (backup_horizon_days > 0),
    backups_gone_at    timestamptz,
    primary key (tenant_id, id),
    check (close_at >= requested_at + interval '14 days'),
    check ((cancelled_at is null) = (cancelled_by is null)),
    check (cancelled_at is null or closed_at is null),
    check ((closed_at is null) = (certificate is null)),
    check (owner_email is null or (closed_at is not null and certificate_sent_at is null))
);
-- At most one closure that is not cancelled per shop.
create unique index shop_closures_live_idx on ledger.shop_closures (tenant_id)
    where cancelled_at is null;
alter table ledger.shop_closures enable row level security;
alter table ledger.shop_closures force row level security;
create policy tenant_isolation on ledger.shop_closures
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

comment on column ledger.shop_closures.requested_by is 'not personal: the owner''s staff id, whose account is deleted with the shop';
comment on column ledger.shop_closures.cancelled_by is 'not personal: an owner''s staff id';
comment on column ledger.shop_closures.owner_email is 'personal: account; held only between the deletion and the certificate mail';

grant select, insert, update (cancelled_at, cancelled_by) on ledger.shop_closures to tenant_admin;
grant select, update (closed_at, certificate, owner_email, certificate_sent_at, mail_attempts,
    backup_horizon_days, backups_gone_at) on ledger.shop_closures to backup;

-- When a shop closes (null: it does not). On the platform's table so that the worker
-- finds due closures across shops, orders refuse new orders, and the console shows it.
alter table tenants add column closes_at timestamptz;
grant update (closes_at) on tenants to tenant_admin;
grant update (display_name, host_names, status, closes_at) on tenants to backup;

-- The audit log is append-only, except that the rows of a shop already marked deleted
-- (in the closing transaction itself) may go with the rest of it; truncation stays
-- refused.
create or replace function audit.refuse_change() returns trigger
    language plpgsql
    set search_path = pg_catalog
as $$
begin
    if tg_op = 'DELETE' and exists (
        select 1 from public.tenants t where t.id = old.tenant_id and t.status = 'deleted'
    ) then
        return old;
    end if;
    raise exception 'the audit log is append-only: % on %.% refused', tg_op, tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end
$$;
grant delete on audit.events, audit.checkpoints to backup;

-- The rest of the shop outside `public`: its erasure ledger, the grants to platform staff
-- and their notices and disclosures, and its keys (destroyed: `wrapped` goes).
grant delete on ledger.erasure_log to backup;
grant usage on schema processor to backup;
grant select, delete on processor.access_grants, processor.grant_notices, processor.disclosures
    to backup;
grant update (wrapped, destroyed_at) on keys.tenant_keys, keys.subject_keys to backup;
