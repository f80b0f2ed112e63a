-- order_decisions is purged past DEDUPE_RETENTION_HOURS (src/adapters/postgres/DedupeRetention.ts),
-- by its recorded_at.
CREATE INDEX "order_decisions_recorded_at_idx" ON "order_decisions"("recorded_at");
