-- The same transaction shape as a checkout (docs/benchmarks.md, "Checkout"), as the
-- `orders` role under row-level security: the placement (variant locked, stock taken
-- with a conditional update, the shop's counter, the order row, its line, its event, the
-- outbox row) and the capture a payment webhook makes (payment row, event id, status,
-- event, confirmation in the outbox). Shops and variants come from `bench.targets`,
-- which checkout-load fills before it runs this.
\set t random(1, 2000)
BEGIN;
SELECT tenant AS tn, variant AS v, price AS p FROM bench.targets WHERE n = :t \gset
SELECT set_config('app.tenant_id', :tn, true);
SELECT price_minor FROM variants WHERE id = :v::uuid FOR UPDATE;
UPDATE variants SET stock = stock - 1 WHERE id = :v::uuid AND stock >= 1;
INSERT INTO order_counters (tenant_id, next_number) VALUES (:tn::uuid, 1002)
    ON CONFLICT (tenant_id) DO UPDATE SET next_number = order_counters.next_number + 1
    RETURNING next_number - 1 AS num \gset
INSERT INTO orders (tenant_id, id, number, reference, public_code, currency, subtotal_minor,
        shipping_minor, tax_minor, total_minor, tax_rate_bp, tax_inclusive, shipping_rate_name,
        subject_id, email_index, contact_sealed, shipping_sealed, buyer_ip, hold_until)
    VALUES (:tn::uuid, gen_random_uuid(), :num::bigint, 'B' || :num::text,
        substr(md5(random()::text) || md5(random()::text), 1, 22), 'EUR', :p::bigint, 490, 0,
        :p::bigint + 490, 0, true, 'Standard', gen_random_uuid(),
        sha256(random()::text::bytea), sha256(random()::text::bytea) || sha256(random()::text::bytea),
        sha256(random()::text::bytea) || sha256(random()::text::bytea),
        '203.0.113.7', now() + interval '30 minutes')
    RETURNING id AS oid \gset
INSERT INTO order_lines (tenant_id, order_id, position, variant_id, sku, product_title,
        variant_title, unit_price_minor, quantity, line_total_minor)
    VALUES (:tn::uuid, :oid::uuid, 0, :v::uuid, 'SKU', 'Product', 'Default', :p::bigint, 1, :p::bigint);
INSERT INTO order_events (tenant_id, order_id, seq, kind, actor)
    VALUES (:tn::uuid, :oid::uuid, 0, 'placed', 'buyer');
INSERT INTO outbox (tenant_id, id, kind, order_id)
    VALUES (:tn::uuid, gen_random_uuid(), 'order_placed', :oid::uuid);
COMMIT;
BEGIN;
SELECT set_config('app.tenant_id', :tn, true);
SELECT status FROM orders WHERE id = :oid::uuid FOR UPDATE;
INSERT INTO processor_events (tenant_id, event_id, kind)
    VALUES (:tn::uuid, 'evt_' || md5(random()::text), 'payment_captured');
INSERT INTO payments (tenant_id, order_id, processor_id, amount_minor, currency, status,
        card_brand, card_last4, card_exp_month, card_exp_year, processor_token, captured_at)
    VALUES (:tn::uuid, :oid::uuid, 'pay_' || md5(random()::text), :p::bigint + 490, 'EUR',
        'captured', 'visa', '4242', 12, 2030, 'tok_' || md5(random()::text), now());
UPDATE orders SET status = 'paid', updated_at = now()
    WHERE id = :oid::uuid AND status = 'pending_payment';
INSERT INTO order_events (tenant_id, order_id, seq, kind, actor)
    VALUES (:tn::uuid, :oid::uuid, 1, 'payment_captured', 'processor');
INSERT INTO outbox (tenant_id, id, kind, order_id)
    VALUES (:tn::uuid, gen_random_uuid(), 'order_confirmation', :oid::uuid);
COMMIT;
