-- Catalog triggers once per statement instead of once per row (issue 15): a restore, an
-- import or a shop's deletion writes up to a million rows in one statement.
--
-- Notifications. The row triggers of 20261122000004 ran a PL/pgSQL call and a pg_notify for every row
-- a statement touched, all folded into one notification in the end. A statement
-- trigger reads the statement's rows once, from its transition table, and notifies each
-- shop they belong to: the same notifications, one call. The payload stays a tenant id
-- (no personal data). Transition tables allow one event per trigger: three per table.

create function catalog_notify_statement() returns trigger
    language plpgsql
    set search_path = pg_catalog, public
as $$
begin
    perform pg_notify('catalog_changed', shop::text)
       from (select distinct tenant_id as shop from changed_rows) shops;
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['products', 'variants', 'collections', 'collection_products',
                             'store_settings', 'privacy_policies', 'product_images',
                             'shop_images'] loop
        execute format('drop trigger %I on %I', t || '_notify_changed', t);
        execute format(
            'create trigger %I after insert on %I referencing new table as changed_rows '
            'for each statement execute function catalog_notify_statement()',
            t || '_notify_inserted', t);
        execute format(
            'create trigger %I after update on %I referencing new table as changed_rows '
            'for each statement execute function catalog_notify_statement()',
            t || '_notify_updated', t);
        execute format(
            'create trigger %I after delete on %I referencing old table as changed_rows '
            'for each statement execute function catalog_notify_statement()',
            t || '_notify_deleted', t);
    end loop;
end
$$;

drop function catalog_notify_changed();

-- One currency per shop (20261123000009). The row trigger looked up the shop's currency
-- once per variant written (a quarter of a restore's time on variants); the statement
-- trigger joins the statement's rows with the settings once. Same refusal: the same
-- errcode and constraint name, which the console maps to `variant.currency_mismatch`.
-- It runs as the caller, under the caller's row-level security, like the row trigger.
create function variants_rows_in_shop_currency() returns trigger language plpgsql as $$
declare
    wrong record;
begin
    -- No settings yet (a restore writes tables in any order): nothing to compare with.
    select v.currency, s.currency as shop_currency into wrong
      from changed_rows v join store_settings s on s.tenant_id = v.tenant_id
     where v.currency <> s.currency
     limit 1;
    if found then
        raise exception 'variant priced in % in a shop that prices in %',
                wrong.currency, wrong.shop_currency
            using errcode = 'check_violation', constraint = 'variants_shop_currency';
    end if;
    return null;
end $$;

drop trigger variants_shop_currency on variants;
drop function variants_in_shop_currency();
create trigger variants_shop_currency_inserted
    after insert on variants referencing new table as changed_rows
    for each statement execute function variants_rows_in_shop_currency();
create trigger variants_shop_currency_updated
    after update on variants referencing new table as changed_rows
    for each statement execute function variants_rows_in_shop_currency();
