-- Named options (issue 16): a product names up to three options (size, colour) in the
-- order shoppers choose them; each of its variants gives a value for every one of them
-- (`variants.options`), and no two variants share a combination (the console and the API
-- check both). The storefront shows one picker per option.

alter table products
    add column option_names text[] not null default '{}'
        check (cardinality(option_names) <= 3);
comment on column products.option_names is 'not personal: the names of a product''s options (size, colour), in the order shoppers pick them';

-- Existing products name the options their variants already have (alphabetically, at
-- most three), one shop at a time under its own row-level policy.
do $$
declare
    t uuid;
begin
    for t in select id from tenants loop
        perform set_config('app.tenant_id', t::text, true);
        update products p set option_names = coalesce((
            select (array_agg(k order by k))[1:3]
              from (select distinct jsonb_object_keys(v.options) as k from variants v
                     where v.tenant_id = p.tenant_id and v.product_id = p.id) keys), '{}');
    end loop;
    perform set_config('app.tenant_id', '', true);
end
$$;
