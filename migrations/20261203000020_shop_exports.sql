-- The merchant's export of the whole shop (O13): a ZIP of JSON and CSV files with a
-- checksum manifest, sealed under the shop's key, fetched by a link that holds a 256-bit
-- token (only its SHA-256 is kept) for 3 days, by an owner. Expired exports are deleted
-- by the daily retention run.

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

create table shop_exports (
    tenant_id     uuid        not null references tenants (id),
    id            uuid        not null,
    token_hash    bytea       not null check (length(token_hash) = 32),
    bundle_sealed bytea       not null,
    bytes         bigint      not null check (bytes >= 0),
    sha256        bytea       not null check (length(sha256) = 32),
    created_by    uuid        not null,
    created_at    timestamptz not null,
    expires_at    timestamptz not null,
    primary key (tenant_id, id),
    unique (tenant_id, token_hash),
    check (expires_at <= created_at + interval '3 days')
);
create index shop_exports_expiry_idx on shop_exports (tenant_id, expires_at);
select pg_temp.isolate('shop_exports');
comment on column shop_exports.bundle_sealed is 'personal: contact, shipping, billing, network, activity, account; the whole shop, sealed under its key';
comment on column shop_exports.created_by is 'not personal: the owner who made it';

grant select, insert, delete on shop_exports to tenant_admin;
