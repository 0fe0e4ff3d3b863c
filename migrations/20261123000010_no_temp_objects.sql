-- Request code could escape the tenancy guard by creating a function in pg_temp whose
-- body spells `set_config('app.tenant_id', …)` with escapes (E'set\137config…'), then
-- calling it (attack report, issue 10 #9). Service roles had TEMPORARY on the database
-- (granted in migration 1), which is what lets a role create objects, functions included,
-- in its pg_temp schema. Only the backup worker needs temporary tables (a restore stages
-- rows in them); it runs no request code. Every other service role loses the privilege,
-- and the catalog lint now refuses TEMPORARY (outside the backup role) and CREATE
-- anywhere for service roles.
do $$
begin
    execute format(
        'revoke temporary on database %I from storefront, cart, orders, tenant_admin, access_control',
        current_database()
    );
end $$;
