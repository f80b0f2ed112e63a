-- The retention purge deletes the oldest rows in batches: an index keeps it a range scan.
CREATE INDEX "processed_messages_processed_at_idx" ON "processed_messages"("processed_at");
