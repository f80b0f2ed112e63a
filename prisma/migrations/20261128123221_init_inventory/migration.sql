-- CreateTable
CREATE TABLE "stock_levels" (
    "sku" TEXT NOT NULL,
    "on_hand" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "safety_stock" INTEGER NOT NULL DEFAULT 0,
    "reorder_quantity" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_levels_pkey" PRIMARY KEY ("sku"),
    -- The last line of defence against overselling: whatever the code does, these cannot be broken.
    CONSTRAINT "stock_levels_on_hand_check" CHECK ("on_hand" >= 0),
    CONSTRAINT "stock_levels_reserved_check" CHECK ("reserved" >= 0),
    CONSTRAINT "stock_levels_reserved_le_on_hand_check" CHECK ("reserved" <= "on_hand"),
    CONSTRAINT "stock_levels_safety_stock_check" CHECK ("safety_stock" >= 0),
    CONSTRAINT "stock_levels_reorder_quantity_check" CHECK ("reorder_quantity" >= 0)
);

-- CreateTable
CREATE TABLE "reservations" (
    "order_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "release_reason" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "reservations_pkey" PRIMARY KEY ("order_id"),
    CONSTRAINT "reservations_status_check" CHECK ("status" IN ('RESERVED', 'CONFIRMED', 'RELEASED')),
    CONSTRAINT "reservations_release_reason_check" CHECK (
        ("status" = 'RELEASED' AND "release_reason" IN ('cancelled', 'expired', 'released'))
        OR ("status" <> 'RELEASED' AND "release_reason" IS NULL)
    )
);

-- CreateTable
CREATE TABLE "reservation_lines" (
    "order_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "status" TEXT NOT NULL,

    CONSTRAINT "reservation_lines_pkey" PRIMARY KEY ("order_id", "sku"),
    CONSTRAINT "reservation_lines_quantity_check" CHECK ("quantity" BETWEEN 1 AND 1000000),
    CONSTRAINT "reservation_lines_status_check" CHECK ("status" IN ('RESERVED', 'CONFIRMED', 'RELEASED'))
);

-- CreateTable
CREATE TABLE "stock_movements" (
    "id" BIGSERIAL NOT NULL,
    "sku" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "order_id" TEXT,
    "reason" TEXT,
    "reference" TEXT,
    "on_hand_after" INTEGER NOT NULL,
    "reserved_after" INTEGER NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stock_movements_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_movements_type_check" CHECK ("type" IN ('RESERVE', 'RELEASE', 'COMMIT', 'REPLENISH', 'ADJUST')),
    -- ADJUST carries a signed delta of on hand; every other movement moves 1..1,000,000 units.
    CONSTRAINT "stock_movements_quantity_check" CHECK ("type" = 'ADJUST' OR "quantity" BETWEEN 1 AND 1000000),
    CONSTRAINT "stock_movements_levels_after_check" CHECK (
        "on_hand_after" >= 0 AND "reserved_after" >= 0 AND "reserved_after" <= "on_hand_after"
    )
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "partition_key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_messages" (
    "message_id" TEXT NOT NULL,
    "message_type" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "detail" TEXT,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_messages_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "reservations_status_expires_at_idx" ON "reservations"("status", "expires_at");

-- CreateIndex
CREATE INDEX "reservation_lines_sku_idx" ON "reservation_lines"("sku");

-- CreateIndex
CREATE INDEX "stock_movements_sku_id_idx" ON "stock_movements"("sku", "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_event_id_key" ON "outbox_events"("event_id");

-- CreateIndex (partial: the relay only ever scans unpublished rows)
CREATE INDEX "outbox_events_unpublished_idx" ON "outbox_events"("id") WHERE "published_at" IS NULL;

-- AddForeignKey
ALTER TABLE "reservation_lines" ADD CONSTRAINT "reservation_lines_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "reservations"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reservation_lines" ADD CONSTRAINT "reservation_lines_sku_fkey" FOREIGN KEY ("sku") REFERENCES "stock_levels"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_sku_fkey" FOREIGN KEY ("sku") REFERENCES "stock_levels"("sku") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The ledger is append-only: the database itself refuses to change or remove a movement.
CREATE FUNCTION "stock_movements_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER "stock_movements_no_update_delete"
    BEFORE UPDATE OR DELETE ON "stock_movements"
    FOR EACH ROW EXECUTE FUNCTION "stock_movements_append_only"();

CREATE TRIGGER "stock_movements_no_truncate"
    BEFORE TRUNCATE ON "stock_movements"
    FOR EACH STATEMENT EXECUTE FUNCTION "stock_movements_append_only"();

-- Wakes the outbox relay (LISTEN inventory_outbox) once per inserting statement, at commit.
CREATE FUNCTION "outbox_events_notify"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('inventory_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER "outbox_events_notify_insert"
    AFTER INSERT ON "outbox_events"
    FOR EACH STATEMENT EXECUTE FUNCTION "outbox_events_notify"();
