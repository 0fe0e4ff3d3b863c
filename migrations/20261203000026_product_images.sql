-- Product pictures (issue 16). The pixels live in the object store under the shop
-- (`<tenant>/<image>/<width>.<ext>`, see libs/images); a row says which widths exist,
-- their encoding, the upright size and the merchant's alt text. `image_urls` (addresses
-- typed by hand) goes: every picture a shop shows is now one the platform checked and
-- stores itself, so a shopper's browser never fetches from a third party.

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

create table product_images (
    tenant_id  uuid        not null,
    id         uuid        not null,
    product_id uuid        not null,
    position   integer     not null default 0,
    alt        text        not null default '' check (length(alt) <= 300),
    format     text        not null check (format in ('jpeg', 'png')),
    width      integer     not null check (width between 1 and 8000),
    height     integer     not null check (height between 1 and 8000),
    widths     integer[]   not null check (cardinality(widths) between 1 and 4),
    bytes      bigint      not null check (bytes > 0),
    -- The address a catalog import fetched it from (none for uploads): a later import
    -- listing the same address keeps the picture instead of fetching it again.
    source_url text        check (length(source_url) <= 2000),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, product_id) references products (tenant_id, id) on delete cascade
);
create index product_images_product_idx on product_images (tenant_id, product_id, position);
select pg_temp.isolate('product_images');
comment on column product_images.alt is 'not personal: the merchant''s description of a product picture';
comment on column product_images.source_url is 'not personal: a web address of a product picture the merchant listed in a catalog file';

-- The storefront sees the pictures of active products only (the products policy applies
-- inside the subquery).
create policy storefront_active_only on product_images as restrictive for select to storefront
    using (exists (select 1 from products p
                    where p.tenant_id = product_images.tenant_id and p.id = product_images.product_id));

-- Pictures whose rows went (deleted, or their product deleted) but whose objects may
-- still be in the store: the console removes the objects, then these rows. A failed
-- removal stays here and is retried. Rows the backup role deletes are not garbage: a
-- restore deletes a shop's rows and writes them back (the objects must stay), and a
-- closing shop's pictures go with its whole prefix.
create table product_image_garbage (
    tenant_id  uuid        not null,
    image_id   uuid        not null,
    deleted_at timestamptz not null default now(),
    primary key (tenant_id, image_id)
);
select pg_temp.isolate('product_image_garbage');

create function product_images_to_garbage() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    if current_user = 'backup' then
        return null;
    end if;
    insert into product_image_garbage (tenant_id, image_id) values (old.tenant_id, old.id)
        on conflict do nothing;
    return null;
end
$$;
create trigger product_images_to_garbage
    after delete on product_images
    for each row execute function product_images_to_garbage();

create trigger product_images_notify_changed
    after insert or update or delete on product_images
    for each row execute function catalog_notify_changed();

grant select on product_images to storefront, cart, orders;
grant select, insert, update, delete on product_images to tenant_admin;
grant select, insert, delete on product_image_garbage to tenant_admin;

-- The cards lose `image_urls` and gain the first picture.
drop view product_cards;
alter table products drop column image_urls;
create view product_cards with (security_invoker = true) as
select p.tenant_id, p.id, p.handle, p.title, p.description, p.status,
       p.featured, p.created_at, p.search,
       (select min(v.price_minor) from variants v
         where v.tenant_id = p.tenant_id and v.product_id = p.id) as price_from,
       (select min(v.currency) from variants v
         where v.tenant_id = p.tenant_id and v.product_id = p.id) as currency,
       exists (select 1 from variants v
                where v.tenant_id = p.tenant_id and v.product_id = p.id and v.stock > 0) as available,
       i.id as image_id, i.format as image_format, i.widths as image_widths,
       i.width as image_width, i.height as image_height, i.alt as image_alt
from products p
left join lateral (
    select pi.id, pi.format, pi.widths, pi.width, pi.height, pi.alt from product_images pi
     where pi.tenant_id = p.tenant_id and pi.product_id = p.id
     order by pi.position, pi.created_at limit 1) i on true;

grant select on product_cards to storefront, tenant_admin, backup;
