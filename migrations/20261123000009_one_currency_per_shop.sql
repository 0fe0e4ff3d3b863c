-- A shop prices in one currency (issue 9). A cart once showed "20.00 EUR + 89.00 CHF =
-- Subtotal 109.00 CHF": the shop's currency had changed in its settings after some
-- products were priced, and the CSV import took rows in another currency.
--
-- From now on the database refuses:
--   * a variant written in another currency than its shop's settings name;
--   * a change of the shop's currency while variants are priced in the old one.
-- Both raise check_violation with a named constraint, which the console maps to a coded
-- 4xx. Rows written before this migration are left as they are (a shop with mixed
-- currencies can re-price them; the currency change stays refused until it does).
-- Functions run as the caller, under the caller's row-level security.

create function variants_in_shop_currency() returns trigger language plpgsql as $$
declare
    shop_currency text;
begin
    select currency into shop_currency from store_settings where tenant_id = new.tenant_id;
    -- No settings yet (a restore writes tables in any order): nothing to compare with.
    if shop_currency is not null and new.currency <> shop_currency then
        raise exception 'variant priced in % in a shop that prices in %', new.currency, shop_currency
            using errcode = 'check_violation', constraint = 'variants_shop_currency';
    end if;
    return new;
end $$;

create trigger variants_shop_currency
    before insert or update of currency on variants
    for each row execute function variants_in_shop_currency();

create function settings_currency_kept_while_priced() returns trigger language plpgsql as $$
begin
    if new.currency <> old.currency and exists (
        select 1 from variants where tenant_id = new.tenant_id and currency <> new.currency
    ) then
        raise exception 'the shop has variants priced in %', old.currency
            using errcode = 'check_violation', constraint = 'store_settings_currency_priced';
    end if;
    return new;
end $$;

create trigger store_settings_currency_priced
    before update of currency on store_settings
    for each row execute function settings_currency_kept_while_priced();
