-- The Postgres-first reserve (RESERVE_MODE=db): the request path is one transaction; Temporal follows.

-- Each line carries its reservation's expiry, so that a stock read can count the units of expired,
-- not yet released lines as available with one index probe per SKU (the partial index holds only
-- open lines, ordered by expiry: the expired ones are its first entries). Kept equal to
-- reservations.expires_at by every save of the reservation.
ALTER TABLE "reservation_lines" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
UPDATE "reservation_lines" l SET "expires_at" = r."expires_at" FROM "reservations" r WHERE r."order_id" = l."order_id";
ALTER TABLE "reservation_lines" ALTER COLUMN "expires_at" SET NOT NULL;
CREATE INDEX "reservation_lines_open_sku_expires_at_idx" ON "reservation_lines"("sku", "expires_at")
    WHERE "status" = 'RESERVED';

-- Durable requests to the order's reservation workflow, written in the transaction of the change that
-- needs them (a reserve: start it; a decision: signal it) and deleted by the dispatcher once Temporal
-- has accepted the signalWithStart. At least once: the workflow ignores repeats.
CREATE TABLE "workflow_requests" (
    "id" BIGSERIAL NOT NULL,
    "order_id" TEXT NOT NULL,
    -- start | confirm | cancel | release | extend
    "kind" TEXT NOT NULL,
    "reason" TEXT,
    -- W3C trace context of the command that recorded it: the delivery continues that trace.
    "headers" JSONB NOT NULL DEFAULT '{}',
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "workflow_requests_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "workflow_requests_kind_check" CHECK ("kind" IN ('start', 'confirm', 'cancel', 'release', 'extend'))
);
CREATE INDEX "workflow_requests_order_id_idx" ON "workflow_requests"("order_id");

-- Wakes the dispatcher (LISTEN inventory_workflow_requests) at commit.
CREATE FUNCTION "workflow_requests_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inventory_workflow_requests', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER "workflow_requests_notify_insert"
    AFTER INSERT ON "workflow_requests"
    FOR EACH STATEMENT EXECUTE FUNCTION "workflow_requests_notify"();

-- order-service's decisions that found no reservation to act on: an OrderConfirmed before any reserve
-- (kept for operators), an OrderCancelled before any reserve (its order also gets a RELEASED reservation
-- without lines, so that a late reserve answers 410 and holds nothing).
CREATE TABLE "order_decisions" (
    "order_id" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "reason" TEXT,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),

    CONSTRAINT "order_decisions_pkey" PRIMARY KEY ("order_id", "decision"),
    CONSTRAINT "order_decisions_decision_check" CHECK ("decision" IN ('CONFIRMED', 'CANCELLED'))
);
