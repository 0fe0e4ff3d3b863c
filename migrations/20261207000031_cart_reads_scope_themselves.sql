-- The cart's reads in one round trip each (issue 15). An add reads the shop's cart
-- settings and one variant; a view reads the settings and the variants of its lines. In a
-- tenant transaction that is three round trips (begin with the tenant scope, the read,
-- commit); this function is one: it takes the shop, sets it as the tenant for its own
-- query only, and puts back what was in scope before (nothing, outside a transaction:
-- the cart service calls it on its own, `TenantDb::self_scoping`).
--
-- Row-level security still decides what the query sees: the function runs as its caller
-- (security invoker), so the `cart` role's policies apply with the tenant set to `shop`,
-- exactly as in `TenantDb::begin(shop)`. Inside another shop's transaction it refuses, so
-- it can never widen a transaction's scope. Only the cart service may call it.
--
-- Always at least one row: the settings (null columns when the shop has none yet) beside
-- each variant of `wanted` the shop has (any status), or beside nulls when none is.
create function cart_catalog(shop uuid, wanted uuid[])
returns table (
    cart_ttl_days   integer,
    shop_currency   text,
    checkout_fields jsonb,
    id              uuid,
    product_handle  text,
    product_title   text,
    variant_title   text,
    sku             text,
    price_minor     bigint,
    currency        text,
    stock           integer,
    status          text,
    image_url       text
)
language plpgsql
security invoker
-- One plan for every call, whatever the caller's session says (the cart service sets the
-- same per connection): the custom plans Postgres otherwise tries are made afresh on each
-- call and kept, which costs more than the query (pgbench as `cart`, one client, without
-- the setting: 2,055 calls/s; with it: 5,130).
set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
    outer_scope text := coalesce(current_setting('app.tenant_id', true), '');
begin
    if shop is null then
        raise exception 'cart_catalog needs a shop' using errcode = 'null_value_not_allowed';
    end if;
    if outer_scope not in ('', shop::text) then
        raise exception 'cart_catalog cannot read another shop than the one in scope'
            using errcode = 'insufficient_privilege';
    end if;
    perform set_config('app.tenant_id', shop::text, true);
    return query
        select s.cart_ttl_days, s.currency, s.checkout_fields,
               f.id, f.product_handle, f.product_title, f.variant_title, f.sku,
               f.price_minor, f.currency, f.stock, f.status, f.image_url
          from (values (1)) one (x)
          left join public.store_settings s on true
          left join (
              select v.id, p.handle as product_handle, p.title as product_title,
                     v.title as variant_title, v.sku, v.price_minor, v.currency, v.stock,
                     p.status,
                     (select '/images/' || i.id || '/' || i.widths[1]
                             || case i.format when 'png' then '.png' else '.jpg' end
                        from public.product_images i
                       where i.tenant_id = p.tenant_id and i.product_id = p.id
                       order by i.position, i.created_at limit 1) as image_url
                from public.variants v
                join public.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
               where v.id = any(wanted)) f on true;
    -- The rows are already in the function's result: the scope goes back before return.
    perform set_config('app.tenant_id', outer_scope, true);
end
$$;

revoke all on function cart_catalog(uuid, uuid[]) from public;
grant execute on function cart_catalog(uuid, uuid[]) to cart;
