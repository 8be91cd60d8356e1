-- The account list's summary, the dashboard and the per-account figures count and sum products and orders
-- per account. These narrow indexes let Postgres answer from the index alone instead of reading every
-- row, raw JSON included (measured with `make bench`, phase `listing`).
CREATE INDEX idx_marketplace_products_account_status ON marketplace_products(account_id, status);
CREATE INDEX idx_marketplace_orders_pending ON marketplace_orders(account_id)
    WHERE status IN (220, 221, 400, 450);
DROP INDEX idx_marketplace_orders_account_time;
CREATE INDEX idx_marketplace_orders_account_time ON marketplace_orders(account_id, order_created_at)
    INCLUDE (status, total_amount);
