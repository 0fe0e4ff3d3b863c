-- What a product list shows for each product: lowest price, its currency, and whether any
-- variant is in stock. A security_invoker view, so the caller's row-level security (and
-- the storefront's "active only" policy) applies exactly as on the tables.

create view product_cards with (security_invoker = true) as
select p.tenant_id, p.id, p.handle, p.title, p.description, p.image_urls, p.status,
       p.featured, p.created_at, p.search,
       (select min(v.price_minor) from variants v
         where v.tenant_id = p.tenant_id and v.product_id = p.id) as price_from,
       (select min(v.currency) from variants v
         where v.tenant_id = p.tenant_id and v.product_id = p.id) as currency,
       exists (select 1 from variants v
                where v.tenant_id = p.tenant_id and v.product_id = p.id and v.stock > 0) as available
from products p;

grant select on product_cards to storefront, tenant_admin, backup;
