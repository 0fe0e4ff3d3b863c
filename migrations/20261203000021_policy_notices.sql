-- Material changes of a privacy policy are announced before they take effect (O20): a
-- version published as material takes effect at least 14 days after publication (the
-- shop may ask for more, never less), and each buyer of the shop is mailed once per
-- version, through the orders outbox (orders alone reads buyers' addresses).

alter table store_settings
    add column policy_notice_days integer not null default 14
        check (policy_notice_days between 14 and 90);

alter table privacy_policies
    add column material boolean not null default false,
    add constraint privacy_policies_material_notice
        check (not material or status = 'draft' or effective_at >= published_at + interval '14 days');

alter table outbox
    add column policy_version integer check (policy_version > 0),
    drop constraint outbox_kind_check,
    add constraint outbox_kind_check check (kind in (
        'order_placed', 'order_confirmation', 'shipping_notice', 'policy_notice',
        'request_verify', 'request_extended', 'request_export', 'request_refused',
        'request_completed', 'erasure_certificate')),
    add constraint outbox_policy_version check ((kind = 'policy_notice') = (policy_version is not null)),
    drop constraint outbox_tenant_id_order_id_kind_key;
-- One mail per order and kind, and one notice per buyer (their newest order) and version.
create unique index outbox_order_kind_idx on outbox (tenant_id, order_id, kind)
    where policy_version is null;
create unique index outbox_policy_notice_idx on outbox (tenant_id, order_id, policy_version)
    where policy_version is not null;

-- The notice names the date the new version takes effect.
grant select on privacy_policies to orders;
