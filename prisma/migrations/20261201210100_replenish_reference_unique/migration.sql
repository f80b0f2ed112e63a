-- A replenishment's reference (the goods-receipt number) is unique per SKU: a retried replenish with
-- the same reference is a no-op. The application checks under the SKU's row lock; this index is the
-- last line of defence and serves that lookup. The ledger stays append-only: a database that already
-- holds duplicate references cannot get the unique index without editing history, so it gets a plain
-- index (the application's check still holds for every new replenishment) and a warning naming them.
DO $$
DECLARE
    duplicates INTEGER;
BEGIN
    SELECT count(*) INTO duplicates FROM (
        SELECT 1 FROM "stock_movements"
        WHERE "type" = 'REPLENISH' AND "reference" IS NOT NULL
        GROUP BY "sku", "reference" HAVING count(*) > 1
    ) d;
    IF duplicates = 0 THEN
        CREATE UNIQUE INDEX "stock_movements_replenish_reference_key" ON "stock_movements"("sku", "reference")
            WHERE "type" = 'REPLENISH' AND "reference" IS NOT NULL;
    ELSE
        RAISE WARNING '% (sku, reference) pairs of REPLENISH movements are duplicated already: the index on them is not unique', duplicates;
        CREATE INDEX "stock_movements_replenish_reference_key" ON "stock_movements"("sku", "reference")
            WHERE "type" = 'REPLENISH' AND "reference" IS NOT NULL;
    END IF;
END;
$$;
