-- true: the decision was recorded for an open reservation, for its workflow to apply; the expiry paths
-- (sweep and the workflow's own TTL) leave that order alone until the reservation is settled. Rows
-- recorded before this column existed read as unmatched, which is what they were treated as before.
ALTER TABLE "order_decisions" ADD COLUMN "matched" BOOLEAN NOT NULL DEFAULT false;
