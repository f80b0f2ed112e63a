-- Purchase-order requests: raised when a SKU's available stock falls below its safety stock, closed
-- when a replenishment brings it back. At most one OPEN request per SKU, enforced here (partial unique
-- index), whatever the application does.

-- CreateTable
CREATE TABLE "purchase_order_requests" (
    "id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "available_at_request" INTEGER NOT NULL,
    "safety_stock" INTEGER NOT NULL,
    "reorder_quantity" INTEGER NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),
    "reminders_sent" INTEGER NOT NULL DEFAULT 0,
    -- The replenishment workflow's bookkeeping (ReplenishmentDispatcher): when it was started for this
    -- request, and when it was told the request closed.
    "workflow_started_at" TIMESTAMPTZ(3),
    "workflow_closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "purchase_order_requests_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "purchase_order_requests_status_check" CHECK ("status" IN ('OPEN', 'CLOSED')),
    CONSTRAINT "purchase_order_requests_closed_at_check" CHECK (("status" = 'CLOSED') = ("closed_at" IS NOT NULL)),
    CONSTRAINT "purchase_order_requests_quantity_check" CHECK ("quantity" >= 1),
    CONSTRAINT "purchase_order_requests_levels_check" CHECK (
        "available_at_request" >= 0 AND "safety_stock" >= 0 AND "reorder_quantity" >= 0
    ),
    CONSTRAINT "purchase_order_requests_reminders_sent_check" CHECK ("reminders_sent" >= 0)
);

-- CreateIndex (partial, unique: at most one open request per SKU)
CREATE UNIQUE INDEX "purchase_order_requests_open_sku_key" ON "purchase_order_requests"("sku") WHERE "status" = 'OPEN';

-- CreateIndex (operators list requests newest first, by status)
CREATE INDEX "purchase_order_requests_status_requested_at_idx" ON "purchase_order_requests"("status", "requested_at" DESC, "id" DESC);

-- CreateIndex (a SKU's history; also serves the foreign key)
CREATE INDEX "purchase_order_requests_sku_requested_at_idx" ON "purchase_order_requests"("sku", "requested_at" DESC);

-- CreateIndex (partial: the dispatcher's backlog, every request whose workflow may still need a start or
-- a close; open requests are at most one per SKU, closed ones leave it once the workflow was told)
CREATE INDEX "purchase_order_requests_dispatch_idx" ON "purchase_order_requests"("requested_at", "id")
    WHERE "workflow_closed_at" IS NULL;

-- AddForeignKey
ALTER TABLE "purchase_order_requests" ADD CONSTRAINT "purchase_order_requests_sku_fkey" FOREIGN KEY ("sku") REFERENCES "stock_levels"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Wakes the replenishment dispatcher (LISTEN inventory_purchase_orders) at commit when a request is
-- opened or closed (Postgres folds identical notifications of one transaction into one). Its own
-- channel: the outbox relay is not woken for it; reminders and the dispatcher's own bookkeeping do not
-- change the status and wake nobody.
CREATE FUNCTION "purchase_order_requests_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inventory_purchase_orders', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER "purchase_order_requests_notify_insert"
    AFTER INSERT ON "purchase_order_requests"
    FOR EACH STATEMENT EXECUTE FUNCTION "purchase_order_requests_notify"();

CREATE TRIGGER "purchase_order_requests_notify_close"
    AFTER UPDATE OF "status" ON "purchase_order_requests"
    FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status")
    EXECUTE FUNCTION "purchase_order_requests_notify"();
