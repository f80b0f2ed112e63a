import { ConcurrencyError } from '../../domain/errors';

/** Options both units of work take. */
export interface UnitOfWorkOptions {
  /** Longest wait for a pooled connection (ms). */
  maxWaitMs?: number;
  /** Longest a transaction may stay open (ms): past it the transaction is rolled back. */
  timeoutMs?: number;
  /** Attempts when an optimistic check fails (a row created or changed concurrently). */
  maxAttempts?: number;
}

export function unitOfWorkSettings(options: UnitOfWorkOptions = {}) {
  return {
    maxWait: options.maxWaitMs ?? 10_000,
    timeout: options.timeoutMs ?? 15_000,
    maxAttempts: options.maxAttempts ?? 3,
  };
}

/**
 * Runs one transaction attempt at a time, again only when it failed with ConcurrencyError: deadlocks
 * and serialization failures are not expected by design (docs/concurrency.md), so they surface.
 */
export async function retryOnConcurrencyError<T>(maxAttempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrencyError) || n >= maxAttempts) throw err;
    }
  }
}
