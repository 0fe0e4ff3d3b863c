-- Key tables of libs/vault (envelope encryption, O11, O14).
--
-- They live in their own schema, `keys`, so that backups can exclude them by rule: a
-- long-retention backup must never carry the wrapped keys, or restoring it would bring a
-- shredded key back. Key material is stored only wrapped by the key-encryption key (KEK);
-- destroying a key nulls `wrapped` and stamps `destroyed_at`, keeping a tombstone so a
-- ciphertext under it fails with "key destroyed" rather than "unknown key".

create schema keys;
grant usage on schema keys to cart, orders, tenant_admin, access_control, backup;

-- Per-tenant data keys: `data` encrypts fields, `blind_index` keys the HMAC lookups.
create table keys.tenant_keys (
    tenant_id    uuid        not null references public.tenants (id),
    key_id       uuid        not null,
    purpose      text        not null check (purpose in ('data', 'blind_index')),
    version      integer     not null check (version > 0),
    wrapped      bytea,
    kek_id       text        not null,
    kek_version  integer     not null,
    created_at   timestamptz not null default now(),
    destroyed_at timestamptz,
    primary key (tenant_id, key_id),
    unique (tenant_id, purpose, version),
    check ((wrapped is null) = (destroyed_at is not null))
);

-- At most one live key per tenant and purpose.
create unique index tenant_keys_live_idx
    on keys.tenant_keys (tenant_id, purpose) where destroyed_at is null;

-- Per-data-subject keys (a visitor, a customer): shredding one erases that person's
-- encrypted fields everywhere they were copied, backups included.
create table keys.subject_keys (
    tenant_id    uuid        not null references public.tenants (id),
    key_id       uuid        not null,
    subject_id   uuid        not null,
    version      integer     not null check (version > 0),
    wrapped      bytea,
    kek_id       text        not null,
    kek_version  integer     not null,
    created_at   timestamptz not null default now(),
    destroyed_at timestamptz,
    primary key (tenant_id, key_id),
    unique (tenant_id, subject_id, version),
    check ((wrapped is null) = (destroyed_at is not null))
);

create unique index subject_keys_live_idx
    on keys.subject_keys (tenant_id, subject_id) where destroyed_at is null;

-- Row-level security, fail-closed: with no tenant set the setting is '' (or absent), the
-- comparison is with NULL, and no row matches. The sub-select makes the planner evaluate
-- the setting once per query (an InitPlan), not once per row.
alter table keys.tenant_keys enable row level security;
alter table keys.tenant_keys force row level security;
create policy tenant_isolation on keys.tenant_keys
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

alter table keys.subject_keys enable row level security;
alter table keys.subject_keys force row level security;
create policy tenant_isolation on keys.subject_keys
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));

-- Reading keys: every service that encrypts or decrypts personal data, and the backup
-- worker (it wraps each backup's data key under the tenant key). The storefront handles
-- no personal data and gets nothing here.
grant select on keys.tenant_keys, keys.subject_keys
    to cart, orders, tenant_admin, access_control, backup;
-- Creating keys on first use.
grant insert on keys.tenant_keys, keys.subject_keys to cart, orders, tenant_admin;
-- Re-wrapping under a new KEK version and shredding: merchant administration (erasure
-- requests, tenant deletion, KEK rotation jobs) and orders (erasure of a buyer).
grant update (wrapped, kek_id, kek_version, destroyed_at) on keys.tenant_keys to tenant_admin;
grant update (wrapped, kek_id, kek_version, destroyed_at) on keys.subject_keys to tenant_admin, orders;
