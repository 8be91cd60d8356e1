-- Why: a second marketplace (TikTok Shop) has string ids and string statuses, and keeps stock per warehouse.
-- Products and orders are stored in the neutral catalog (core/src/domain/catalog.rs): string external ids, a
-- neutral status that reports read, the marketplace's own status kept beside it, money in whole rupiah,
-- warehouse ids where the marketplace has them. Existing (Tokopedia) rows are carried over: their ids become
-- text, their codes become marketplace_status, and the codes map to the neutral status with the rules of
-- OrderStatus::from_tokopedia / ProductStatus::from_tokopedia (core/src/marketplace/catalog.rs; a test
-- checks both agree on every code).

-- Products -------------------------------------------------------------------------------------------------

ALTER TABLE marketplace_products ADD COLUMN marketplace_status TEXT;
UPDATE marketplace_products SET marketplace_status = status::text;

-- The unique (account_id, external_id) and the report index on (account_id, status) are rebuilt with
-- the new column types.
ALTER TABLE marketplace_products
    ALTER COLUMN external_id TYPE TEXT USING external_id::text,
    ALTER COLUMN marketplace_status SET NOT NULL,
    ALTER COLUMN status TYPE TEXT USING CASE
        WHEN status IN (1, 2) THEN 'active'
        WHEN status = 3 THEN 'inactive'
        WHEN status = 0 THEN 'deleted'
        WHEN status = -1 THEN 'pending'
        WHEN status = -2 THEN 'banned'
        ELSE 'unknown' END,
    ADD CONSTRAINT marketplace_products_status_check CHECK (status IN (
        'active', 'inactive', 'draft', 'pending', 'rejected', 'banned', 'deleted', 'unknown')),
    -- Units per warehouse, [{"warehouse_id": "…", "quantity": n}], where the marketplace keeps stock per
    -- warehouse; stock stays the sellable total.
    ADD COLUMN warehouse_stock JSONB NOT NULL DEFAULT '[]';

COMMENT ON COLUMN marketplace_products.status IS 'Neutral product status (ProductStatus).';
COMMENT ON COLUMN marketplace_products.marketplace_status IS
    'The marketplace''s own status as text (Tokopedia: 1 active, 2 featured, 3 in warehouse, 0 deleted, -1 pending, -2 banned).';

-- Orders ---------------------------------------------------------------------------------------------------

-- The pending index's predicate names codes; it is built again on the neutral status below.
DROP INDEX idx_marketplace_orders_pending;

ALTER TABLE marketplace_orders ADD COLUMN marketplace_status TEXT;
UPDATE marketplace_orders SET marketplace_status = status::text;

-- The unique (account_id, external_id) and idx_marketplace_orders_account_time (which includes status) are
-- rebuilt with the new column types.
ALTER TABLE marketplace_orders
    ALTER COLUMN external_id TYPE TEXT USING external_id::text,
    ALTER COLUMN marketplace_status SET NOT NULL,
    ALTER COLUMN status TYPE TEXT USING CASE
        WHEN status < 100 THEN 'cancelled'
        WHEN status < 220 THEN 'unpaid'
        WHEN status IN (220, 221, 400) THEN 'awaiting_shipment'
        WHEN status = 450 THEN 'awaiting_collection'
        WHEN status BETWEEN 500 AND 599 THEN 'shipped'
        WHEN status BETWEEN 600 AND 699 THEN 'delivered'
        WHEN status >= 700 THEN 'completed'
        ELSE 'unknown' END,
    ADD CONSTRAINT marketplace_orders_status_check CHECK (status IN (
        'unpaid', 'on_hold', 'awaiting_shipment', 'partially_shipped', 'awaiting_collection', 'shipped',
        'delivered', 'completed', 'cancelled', 'unknown')),
    -- When the marketplace last changed the order, where it says (Tokopedia's order list does not).
    ADD COLUMN order_updated_at TIMESTAMPTZ,
    -- The warehouse that ships the order, where the marketplace has warehouses.
    ADD COLUMN warehouse_id TEXT;

COMMENT ON COLUMN marketplace_orders.status IS 'Neutral order status (OrderStatus).';
COMMENT ON COLUMN marketplace_orders.marketplace_status IS
    'The marketplace''s own status as text (Tokopedia: the order_status code; TikTok Shop: its status word).';

-- "Pending" in reports (OrderStatus::is_pending): paid and still (partly) to ship. The reports' filter
-- repeats this list as is, so the planner answers it from this index alone.
CREATE INDEX idx_marketplace_orders_pending ON marketplace_orders(account_id)
    WHERE status IN ('awaiting_shipment', 'partially_shipped', 'awaiting_collection');
