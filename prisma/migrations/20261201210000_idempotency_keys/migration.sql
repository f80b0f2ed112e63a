-- Idempotency-Key (IETF httpapi idempotency-key draft): one row per key of one caller on one method and
-- path. In flight while `completed_at` is null (taken over once `locked_until` passes: the process that
-- held it died); then it holds the first response, replayed to every repeat until `expires_at`. Rows
-- past `expires_at` are purged in small batches.

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "principal" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "status_code" INTEGER,
    "response_headers" JSONB,
    "response_body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("principal", "method", "path", "key"),
    CONSTRAINT "idempotency_keys_completed_check" CHECK (
        ("completed_at" IS NULL) = ("status_code" IS NULL)
        AND ("completed_at" IS NULL) = ("response_body" IS NULL)
    )
);

-- CreateIndex (the purge's scan)
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");
