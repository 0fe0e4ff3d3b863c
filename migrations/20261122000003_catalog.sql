-- Merchant shops: staff accounts and sessions, catalog, settings, privacy policies and
-- aggregate view counters. Every table is a tenant table: RLS forced with the standard
-- policy, `tenant_id` leading every index and inside every unique key and foreign key.

-- Host-name uniqueness is checked after the row is written, so that a duplicate handle
-- is reported as such (the unique index fires first) rather than as a host conflict.
drop trigger tenants_host_names_unique on tenants;
create trigger tenants_host_names_unique
    after insert or update of host_names on tenants
    for each row execute function tenants_host_names_unique();

-- GIN indexes that lead with tenant_id (full-text search within one tenant).
create extension if not exists btree_gin;

create function pg_temp.isolate(tbl regclass) returns void language plpgsql as $$
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

-- Merchant staff. The email is personal data: stored sealed (libs/vault) with a keyed
-- blind index for the login lookup.
create table staff_accounts (
    tenant_id       uuid        not null references tenants (id),
    id              uuid        not null,
    email_index     bytea       not null,
    email_sealed    bytea       not null,
    password_hash   text        not null,
    role            text        not null check (role in ('owner', 'billing', 'support', 'fulfilment')),
    failed_streak   integer     not null default 0,
    locked_until    timestamptz,
    created_at      timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, email_index)
);
select pg_temp.isolate('staff_accounts');

-- Every login attempt on an account: the per-account hourly limit counts these.
create table login_attempts (
    tenant_id  uuid        not null,
    id         uuid        not null,
    staff_id   uuid        not null,
    at         timestamptz not null,
    succeeded  boolean     not null,
    primary key (tenant_id, id),
    foreign key (tenant_id, staff_id) references staff_accounts (tenant_id, id) on delete cascade
);
create index login_attempts_recent_idx on login_attempts (tenant_id, staff_id, at);
select pg_temp.isolate('login_attempts');

-- Sessions: only a SHA-256 of the token is stored; the cookie holds the token.
create table staff_sessions (
    tenant_id    uuid        not null,
    token_hash   bytea       not null,
    staff_id     uuid        not null,
    csrf_token   text        not null,
    created_at   timestamptz not null,
    last_seen_at timestamptz not null,
    revoked_at   timestamptz,
    primary key (tenant_id, token_hash),
    foreign key (tenant_id, staff_id) references staff_accounts (tenant_id, id) on delete cascade
);
create index staff_sessions_staff_idx on staff_sessions (tenant_id, staff_id);
select pg_temp.isolate('staff_sessions');

create table store_settings (
    tenant_id       uuid        not null references tenants (id),
    currency        text        not null check (currency ~ '^[A-Z]{3}$'),
    contact_email   text        not null default '' check (length(contact_email) <= 254),
    -- For each checkout field: required, optional or hidden (O2).
    checkout_fields jsonb       not null default
        '{"name": "required", "email": "required", "phone": "optional", "address": "required"}',
    updated_at      timestamptz not null default now(),
    primary key (tenant_id)
);
select pg_temp.isolate('store_settings');

create table products (
    tenant_id   uuid        not null references tenants (id),
    id          uuid        not null,
    handle      text        not null check (handle ~ '^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$'),
    title       text        not null check (length(title) between 1 and 200),
    description text        not null default '' check (length(description) <= 20000),
    status      text        not null default 'draft' check (status in ('draft', 'active', 'archived')),
    featured    boolean     not null default false,
    image_urls  text[]      not null default '{}' check (cardinality(image_urls) <= 20),
    search      tsvector    generated always as (
                    setweight(to_tsvector('simple', title), 'A') ||
                    setweight(to_tsvector('simple', description), 'B')) stored,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, handle)
);
-- Storefront lists: active products by creation, keyset-paginated on (created_at, id).
create index products_listing_idx on products (tenant_id, status, created_at desc, id desc);
create index products_search_idx on products using gin (tenant_id, search);
select pg_temp.isolate('products');

create table variants (
    tenant_id   uuid    not null,
    id          uuid    not null,
    product_id  uuid    not null,
    sku         text    not null check (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
    title       text    not null default 'Default' check (length(title) between 1 and 200),
    price_minor bigint  not null check (price_minor between 0 and 100000000000),
    currency    text    not null check (currency ~ '^[A-Z]{3}$'),
    stock       integer not null default 0 check (stock >= 0),
    options     jsonb   not null default '{}' check (jsonb_typeof(options) = 'object'),
    position    integer not null default 0,
    primary key (tenant_id, id),
    unique (tenant_id, sku),
    foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index variants_product_idx on variants (tenant_id, product_id, position);
select pg_temp.isolate('variants');

create table collections (
    tenant_id   uuid        not null references tenants (id),
    id          uuid        not null,
    handle      text        not null check (handle ~ '^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$'),
    title       text        not null check (length(title) between 1 and 200),
    description text        not null default '' check (length(description) <= 20000),
    created_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, handle)
);
select pg_temp.isolate('collections');

create table collection_products (
    tenant_id     uuid    not null,
    collection_id uuid    not null,
    product_id    uuid    not null,
    position      integer not null default 0,
    primary key (tenant_id, collection_id, product_id),
    foreign key (tenant_id, collection_id) references collections (tenant_id, id) on delete cascade,
    foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index collection_products_product_idx on collection_products (tenant_id, product_id);
select pg_temp.isolate('collection_products');

-- Versioned privacy policies (O20): one draft at a time; published versions are immutable.
create table privacy_policies (
    tenant_id    uuid        not null references tenants (id),
    id           uuid        not null,
    version      integer     not null check (version > 0),
    body         text        not null check (length(body) between 1 and 100000),
    status       text        not null default 'draft' check (status in ('draft', 'published')),
    effective_at timestamptz,
    published_at timestamptz,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, version),
    check ((status = 'published') = (effective_at is not null and published_at is not null))
);
create unique index privacy_policies_one_draft_idx
    on privacy_policies (tenant_id) where status = 'draft';
create index privacy_policies_effective_idx
    on privacy_policies (tenant_id, status, effective_at desc);
select pg_temp.isolate('privacy_policies');

create function privacy_policies_immutable() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    if old.status = 'published' then
        raise exception 'published privacy policy versions are immutable'
            using errcode = 'check_violation', constraint = 'privacy_policies_immutable';
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end
$$;
create trigger privacy_policies_immutable
    before update or delete on privacy_policies
    for each row execute function privacy_policies_immutable();

-- Analytics without visitors (O23): one counter per product per day, nothing else.
create table product_view_counts (
    tenant_id  uuid    not null,
    product_id uuid    not null,
    day        date    not null,
    views      bigint  not null default 0 check (views >= 0),
    primary key (tenant_id, product_id, day),
    foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
select pg_temp.isolate('product_view_counts');

-- The storefront sees only what is public: active products, published policies.
-- Restrictive policies narrow the tenant policy further for that role alone.
create policy storefront_active_only on products as restrictive for select to storefront
    using (status = 'active');
create policy storefront_published_only on privacy_policies as restrictive for select to storefront
    using (status = 'published');

grant select on products, variants, collections, collection_products, store_settings,
                privacy_policies
    to storefront;
grant select, insert, update on product_view_counts to storefront;

grant select, insert, update, delete on products, variants, collections, collection_products
    to tenant_admin;
grant select, insert, update on store_settings to tenant_admin;
grant select, insert, update, delete on privacy_policies to tenant_admin;
grant select, insert, update on staff_accounts, staff_sessions to tenant_admin;
grant select, insert, delete on login_attempts to tenant_admin;
grant select on product_view_counts to tenant_admin;

-- Pricing carts and orders read the catalog (orders will decrement stock with its issue).
grant select on products, variants, store_settings to cart, orders;

grant select on staff_accounts, login_attempts, staff_sessions, store_settings, products,
                variants, collections, collection_products, privacy_policies,
                product_view_counts
    to backup;

-- Storefronts cache host → tenant; tell them when host names or status change.
create function tenants_notify_hosts() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    perform pg_notify('tenant_hosts_changed', '');
    return null;
end
$$;
create trigger tenants_notify_hosts
    after insert or update of host_names, status or delete on tenants
    for each statement execute function tenants_notify_hosts();
