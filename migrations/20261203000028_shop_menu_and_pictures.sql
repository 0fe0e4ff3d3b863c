-- The shop's menu and its own pictures (issue 16).
--
-- A merchant picks the collections its storefront's menu links (at most six, so the
-- header fits a phone; the console checks the number). And a shop has at most one logo
-- and one home-page banner picture, checked and stored exactly as product pictures are
-- (`<tenant>/<image>/<width>.<ext>` in the picture bucket): replacing one deletes the
-- old row, whose objects the same garbage table records and the console sweeps.

alter table collections add column in_menu boolean not null default false;
comment on column collections.in_menu is 'not personal: whether the storefront''s menu links the collection';

create table shop_images (
    tenant_id  uuid        not null references tenants (id),
    id         uuid        not null,
    purpose    text        not null check (purpose in ('logo', 'banner')),
    alt        text        not null default '' check (length(alt) <= 300),
    format     text        not null check (format in ('jpeg', 'png')),
    width      integer     not null check (width between 1 and 8000),
    height     integer     not null check (height between 1 and 8000),
    widths     integer[]   not null check (cardinality(widths) between 1 and 4),
    bytes      bigint      not null check (bytes > 0),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, purpose)
);
alter table shop_images enable row level security;
alter table shop_images force row level security;
create policy tenant_isolation on shop_images
    using (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid))
    with check (tenant_id = (select nullif(current_setting('app.tenant_id', true), '')::uuid));
comment on column shop_images.alt is 'not personal: the merchant''s description of its logo or banner picture';

-- The garbage trigger of product pictures serves these too: it records `old.id` under
-- `old.tenant_id`, and never for the backup role.
create trigger shop_images_to_garbage
    after delete on shop_images
    for each row execute function product_images_to_garbage();

-- Every page shows the logo, the home page the banner: the page caches must forget.
create trigger shop_images_notify_changed
    after insert or update or delete on shop_images
    for each row execute function catalog_notify_changed();

grant select on shop_images to storefront;
grant select, insert, update, delete on shop_images to tenant_admin;
