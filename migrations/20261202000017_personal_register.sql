-- The register of personal-data columns (O13, O14, O15): each column that holds personal
-- data names its class in its comment (`personal: <class>[, …][; note]`, classes as in
-- data-classes.md, plus `pseudonym` for a random id standing for a person); a column that
-- only looks personal says why not. Export, erasure and retention read this register;
-- the catalog lint fails when a new column that looks personal is not in it.

-- Orders: the buyer.
comment on column orders.subject_id is 'personal: pseudonym; the buyer as a data subject: their key seals the fields below';
comment on column orders.email_index is 'personal: contact; keyed blind index of the buyer''s email';
comment on column orders.contact_sealed is 'personal: contact; name, email, phone, sealed under the buyer''s key';
comment on column orders.shipping_sealed is 'personal: shipping; delivery address, sealed under the buyer''s key';
comment on column orders.buyer_ip is 'personal: network; the buyer''s full address on their order (O5)';
comment on column orders.subtotal_minor is 'personal: billing; kept, pseudonymised, for accounting';
comment on column orders.shipping_minor is 'personal: billing; kept, pseudonymised, for accounting';
comment on column orders.tax_minor is 'personal: billing; kept, pseudonymised, for accounting';
comment on column orders.total_minor is 'personal: billing; kept, pseudonymised, for accounting';
comment on column orders.refunded_minor is 'personal: billing; kept, pseudonymised, for accounting';
comment on column orders.shipping_rate_name is 'not personal: the name of the shop''s shipping rate';
comment on column payments.card_brand is 'personal: billing';
comment on column payments.card_last4 is 'personal: billing';
comment on column payments.card_exp_month is 'personal: billing';
comment on column payments.card_exp_year is 'personal: billing';
comment on column payments.processor_token is 'personal: billing; the processor''s token for the card';

-- Merchant staff.
comment on column staff_accounts.email_index is 'personal: account; keyed blind index of the login email';
comment on column staff_accounts.email_sealed is 'personal: account; the login email, sealed under the member''s key';
comment on column staff_accounts.password_hash is 'personal: account; argon2id';
comment on column staff_accounts.totp_secret_sealed is 'personal: account; sealed';
comment on column staff_accounts.totp_last_step is 'personal: account';
comment on column staff_accounts.last_login_at is 'personal: account';
comment on column staff_accounts.last_pii_read_at is 'personal: account';
comment on column staff_invitations.email_index is 'personal: account; keyed blind index of the invited email';
comment on column staff_invitations.email_sealed is 'personal: account; the invited email, sealed';
comment on column staff_invitations.token_sealed is 'not personal: the invitation''s secret, kept until mailed';
comment on column staff_outbox.subject_id is 'not personal: the id of the invitation the mail is about';
comment on column staff_sessions.client is 'personal: account, network; browser family and the client''s network (/24, /48)';

-- Shops.
comment on column tenants.display_name is 'not personal: the shop''s public name';
comment on column tenants.host_names is 'not personal: the shop''s host names';
comment on column store_settings.contact_email is 'personal: contact; the address the merchant publishes for buyers';
comment on column shipping_rates.name is 'not personal: the name of a shipping rate';
comment on column signing_keys.seed_sealed is 'not personal: the shop''s signing key, sealed';

-- Keys and the erasure ledger.
comment on column keys.subject_keys.subject_id is 'personal: pseudonym; the person a key belongs to';
comment on column ledger.erasure_log.subject_id is 'personal: pseudonym; an erased person, so that restores erase them again';

-- The processor's side.
comment on column processor.staff.login is 'personal: account; platform staff';
comment on column processor.staff.name is 'personal: account; platform staff';
comment on column processor.staff.password_hash is 'personal: account; platform staff, argon2id';
comment on column processor.staff.totp_sealed is 'personal: account; platform staff, sealed';
comment on column processor.staff.totp_key is 'not personal: the wrapped key of the TOTP secret';
comment on column processor.staff.totp_kek_id is 'not personal: which key-encryption key wrapped it';
comment on column processor.staff.totp_kek_version is 'not personal: its version';
comment on column processor.staff.totp_last_step is 'personal: account; platform staff';
comment on column processor.staff.last_login_at is 'personal: account; platform staff';
comment on column processor.access_grants.reason is 'personal: activity; platform staff write why they need access, which may name a buyer';
comment on column processor.access_grants.incident_note is 'personal: activity; the post-incident note, which may name a buyer';
comment on column processor.access_grants.incident_note_at is 'not personal: when the note was written';
comment on column processor.disclosures.subjects is 'personal: activity; the data subjects a disclosure concerned';
