-- Each claim of an Idempotency-Key gets a token of its own. Completing or abandoning a key matches it,
-- so a request whose claim was taken over (its lease ran out: it hung, or its claim landed after it had
-- given up) cannot store its answer over, or delete, the claim of the retry that runs now. Rows claimed
-- before this migration have none; their requests finish within the lease, and a takeover sets one.

-- AlterTable
ALTER TABLE "idempotency_keys" ADD COLUMN "claim_token" UUID;
