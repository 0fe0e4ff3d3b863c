-- A restore changes only the rows that differ from the backup (services/backup,
-- app/restore.rs): rows it still has are updated in place rather than deleted and
-- inserted again. The backup role already deletes and inserts a tenant's rows under
-- row-level security; updating them grants nothing that pair did not. Only tenant tables
-- (those with a `tenant_id` column) get it now; tables created later by the owner get it
-- by default, like the backup role's other grants.
do $$
declare
    t record;
begin
    for t in
        select c.relname
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace
          join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
         where n.nspname = 'public' and c.relkind in ('r', 'p')
    loop
        execute format('grant update on public.%I to backup', t.relname);
    end loop;
end
$$;
alter default privileges in schema public grant update on tables to backup;
