-- An operator's free text on an adjustment (POST /inventory/:sku/adjustments); null on every other
-- movement. Adding a nullable column rewrites no row: the ledger stays as it was.
ALTER TABLE "stock_movements" ADD COLUMN "note" TEXT;

-- CreateIndex (the movements listing filtered by type, newest first)
CREATE INDEX "stock_movements_sku_type_id_idx" ON "stock_movements"("sku", "type", "id" DESC);
