-- Merchant staff (O8, O9, O10) and the audit log (O22).
--
-- Staff hold one or more roles (`staff_roles`, with since when and who granted them);
-- owners invite staff by a single-use emailed link (`staff_invitations`, mail through
-- `staff_outbox`); TOTP secrets are sealed by the vault, recovery codes stored as
-- SHA-256 only. The audit log lives in its own schema, which backups neither export nor
-- replace (a restore must not roll a shop's log back): rows can be inserted and read,
-- never updated, deleted or truncated, refused by grants and, for the owner too, by
-- triggers.

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

-- Roles: many per staff member. The founding owner has no granter.
create table staff_roles (
    tenant_id  uuid        not null,
    staff_id   uuid        not null,
    role       text        not null check (role in ('owner', 'billing', 'support', 'fulfilment', 'catalog')),
    granted_at timestamptz not null default now(),
    granted_by uuid,
    primary key (tenant_id, staff_id, role),
    foreign key (tenant_id, staff_id) references staff_accounts (tenant_id, id) on delete cascade
);
select pg_temp.isolate('staff_roles');
insert into staff_roles (tenant_id, staff_id, role, granted_at)
    select tenant_id, id, role, created_at from staff_accounts;
alter table staff_accounts drop column role;

-- Second factor and what the access review shows. `totp_secret_sealed` is set when the
-- member starts enrolling; `mfa_enabled_at` once a first code proved the authenticator.
alter table staff_accounts
    add column totp_secret_sealed bytea,
    add column mfa_enabled_at     timestamptz,
    add column totp_last_step     bigint,
    add column last_login_at      timestamptz,
    add column last_pii_read_at   timestamptz;

create table staff_recovery_codes (
    tenant_id uuid        not null,
    staff_id  uuid        not null,
    code_hash bytea       not null check (length(code_hash) = 32),
    used_at   timestamptz,
    primary key (tenant_id, staff_id, code_hash),
    foreign key (tenant_id, staff_id) references staff_accounts (tenant_id, id) on delete cascade
);
select pg_temp.isolate('staff_recovery_codes');

-- A session is first `mfa_pending` (password right, code still due), then full.
-- `reauth_at`: the last time its member gave password and code again (sensitive actions
-- need it within 5 minutes). `client` is a short description of the browser and the
-- client network (IPv4 /24, IPv6 /48), for the member's sessions page.
alter table staff_sessions
    add column mfa_pending boolean     not null default false,
    add column reauth_at   timestamptz,
    add column client      text        not null default '' check (length(client) <= 200);

-- The owner may require a second factor of every member (owners always need one).
alter table store_settings
    add column staff_mfa_required boolean not null default false;

create table staff_invitations (
    tenant_id    uuid        not null,
    id           uuid        not null,
    email_index  bytea       not null,
    email_sealed bytea       not null,
    roles        text[]      not null check (cardinality(roles) between 1 and 5
                                             and roles <@ array['owner', 'billing', 'support', 'fulfilment', 'catalog']),
    token_hash   bytea       not null check (length(token_hash) = 32),
    -- The link's token, sealed, only until the mail is sent.
    token_sealed bytea,
    invited_by   uuid        not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    accepted_at  timestamptz,
    accepted_as  uuid,
    revoked_at   timestamptz,
    primary key (tenant_id, id),
    unique (tenant_id, token_hash),
    check (expires_at <= created_at + interval '72 hours')
);
create unique index staff_invitations_open_idx on staff_invitations (tenant_id, email_index)
    where accepted_at is null and revoked_at is null;
select pg_temp.isolate('staff_invitations');

-- Staff mail: invitations and the monthly access review. Rows name what to send, never
-- a recipient; the sender opens the address when it sends.
create table staff_outbox (
    tenant_id    uuid        not null references tenants (id),
    id           uuid        not null,
    kind         text        not null check (kind in ('staff_invite', 'access_review')),
    subject_id   uuid,
    period       text        check (period ~ '^[0-9]{4}-[0-9]{2}$'),
    attempts     integer     not null default 0 check (attempts >= 0),
    available_at timestamptz not null default now(),
    sent_at      timestamptz,
    last_error   text        check (length(last_error) <= 500),
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    check ((kind = 'staff_invite') = (subject_id is not null)),
    check ((kind = 'access_review') = (period is not null))
);
create unique index staff_outbox_review_idx on staff_outbox (tenant_id, period)
    where kind = 'access_review';
create index staff_outbox_due_idx on staff_outbox (tenant_id, available_at) where sent_at is null;
select pg_temp.isolate('staff_outbox');

grant select, insert, delete on staff_roles to tenant_admin;
grant update (totp_secret_sealed, mfa_enabled_at, totp_last_step, last_login_at,
              last_pii_read_at, password_hash)
    on staff_accounts to tenant_admin;
grant delete on staff_accounts to tenant_admin;
grant select, insert, update (used_at), delete on staff_recovery_codes to tenant_admin;
grant select, insert, update (token_sealed, accepted_at, accepted_as, revoked_at)
    on staff_invitations to tenant_admin;
grant select, insert, update (attempts, available_at, sent_at, last_error) on staff_outbox
    to tenant_admin;
grant select on staff_roles, staff_recovery_codes, staff_invitations, staff_outbox to backup;

-- The audit log (libs/audit). One hash chain per shop: `hash` = SHA-256 over the
-- event's fields and `prev_hash` (32 zero bytes before the first event), so an edited,
-- reordered or removed row breaks the chain; signed checkpoints of the head (here and in
-- S3) show a removed tail. No global sequence: the writer takes max + 1 under the
-- shop's advisory lock, and the primary key refuses a fork.
create schema audit;
grant usage on schema audit to tenant_admin, orders, access_control, backup;

create table audit.events (
    tenant_id   uuid        not null references public.tenants (id),
    seq         bigint      not null check (seq > 0),
    at          timestamptz not null,
    actor_kind  text        not null check (actor_kind in ('staff', 'platform', 'system')),
    actor_id    uuid,
    actor_roles text[]      not null,
    action      text        not null check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    objects     text[]      not null,
    classes     text[]      not null check (classes <@ array['contact', 'shipping', 'billing',
        'network', 'marketing', 'account', 'child', 'activity']),
    purpose     text        not null check (length(purpose) between 1 and 200),
    request_id  text        check (length(request_id) <= 100),
    prev_hash   bytea       not null check (length(prev_hash) = 32),
    hash        bytea       not null check (length(hash) = 32),
    primary key (tenant_id, seq),
    check ((actor_kind = 'system') = (actor_id is null))
);
create index audit_events_actor_idx on audit.events (tenant_id, actor_id, seq);
create index audit_events_objects_idx on audit.events using gin (tenant_id, objects);
create index audit_events_at_idx on audit.events (tenant_id, at);

-- A signed statement "the chain of this shop had `seq` events ending in `head` at `at`".
create table audit.checkpoints (
    tenant_id uuid        not null references public.tenants (id),
    seq       bigint      not null check (seq > 0),
    head      bytea       not null check (length(head) = 32),
    at        timestamptz not null,
    key_id    text        not null check (length(key_id) between 1 and 100),
    signature bytea       not null check (length(signature) = 64),
    primary key (tenant_id, seq, at)
);
create index audit_checkpoints_at_idx on audit.checkpoints (tenant_id, at);

select pg_temp.isolate('audit.events');
select pg_temp.isolate('audit.checkpoints');

create function audit.refuse_change() returns trigger
    language plpgsql
    set search_path = pg_catalog
as $$
begin
    raise exception 'the audit log is append-only: % on %.% refused', tg_op, tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end
$$;
create trigger events_append_only before update or delete on audit.events
    for each row execute function audit.refuse_change();
create trigger events_no_truncate before truncate on audit.events
    for each statement execute function audit.refuse_change();
create trigger checkpoints_append_only before update or delete on audit.checkpoints
    for each row execute function audit.refuse_change();
create trigger checkpoints_no_truncate before truncate on audit.checkpoints
    for each statement execute function audit.refuse_change();

grant select, insert on audit.events to tenant_admin, orders, access_control;
grant select on audit.events, audit.checkpoints to tenant_admin, backup;
grant insert on audit.checkpoints to backup;
