-- What a handled eventId said (SHA-256 of its type and data): a later message reusing the eventId with
-- another content is dead-lettered instead of being dropped as a duplicate. NULL for rows written
-- before this column existed (treated as "same content").
ALTER TABLE "processed_messages" ADD COLUMN "fingerprint" TEXT;
