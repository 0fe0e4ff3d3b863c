-- Storefronts cache rendered pages per shop; tell them which shop's catalog changed.
-- Postgres folds identical notifications within a transaction, so a bulk import sends
-- one per shop. The payload is a tenant id (no personal data).

create function catalog_notify_changed() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    if tg_op = 'DELETE' then
        perform pg_notify('catalog_changed', old.tenant_id::text);
    else
        perform pg_notify('catalog_changed', new.tenant_id::text);
    end if;
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['products', 'variants', 'collections', 'collection_products',
                             'store_settings', 'privacy_policies'] loop
        execute format(
            'create trigger %I after insert or update or delete on %I '
            'for each row execute function catalog_notify_changed()',
            t || '_notify_changed', t);
    end loop;
end
$$;

-- A shop's name appears on every page.
create function tenants_notify_catalog() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    perform pg_notify('catalog_changed', new.id::text);
    return null;
end
$$;
create trigger tenants_notify_catalog
    after update of display_name on tenants
    for each row execute function tenants_notify_catalog();
