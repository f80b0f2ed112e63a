import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { backoffDelay, errorMessage, sleep, type BackoffOptions } from './backoff';

export type SingleActiveWorkerState = 'stopped' | 'connecting' | 'standby' | 'active';

/**
 * What one pass of work found: `more` (a full batch: go again at once), `idle` (caught up: wait for a
 * NOTIFY or the poll) or `failed` (wait `retryBackoff` before the next pass).
 */
export type WorkOutcome = 'more' | 'idle' | 'failed';

export interface SingleActiveWorkerOptions {
  /** In logs and errors, e.g. 'outbox relay'. */
  name: string;
  databaseUrl: string;
  /** application_name of the worker's own session (pg_stat_activity). */
  applicationName: string;
  /** Key of the session-level advisory lock that makes one worker active (per database). */
  lockKey: number;
  /** LISTENed to while active: a NOTIFY on it wakes the worker. */
  channel: string;
  logger: Logger;
  /** Fallback poll when no NOTIFY arrives (ms); also how often a standby tries to take over. */
  pollIntervalMs: number;
  /** Between failed passes of work in one session. */
  retryBackoff: BackoffOptions;
  /** Between reconnections to Postgres. */
  reconnectBackoff: BackoffOptions;
  /**
   * A pass that throws (its downstream, e.g. Temporal, failed) is retried on the same session after
   * `retryBackoff`, with a warning, instead of losing the session. For workers whose work talks to
   * something other than Postgres.
   */
  retryFailedWork?: boolean;
}

/**
 * A background loop of which one instance is active per database, for work that reconciles rows:
 *
 * - It opens a dedicated `pg` session and stands by until `pg_try_advisory_lock(lockKey)` succeeds
 *   (tried every `pollIntervalMs`). Postgres releases the lock with the session, so when the active
 *   process dies (crash, SIGKILL, network) a standby takes over within a poll interval.
 * - Active, it LISTENs on `channel` and runs passes of `work()`: again at once after a full batch,
 *   else on the next NOTIFY or after `pollIntervalMs`. A failed pass is retried with exponential
 *   backoff, which NOTIFYs do not cut short (that would spin while the downstream is down).
 * - A lost session (the connection errored, or `work()` threw and `workFailed()` did not take it) is
 *   closed and opened again with exponential backoff: state `connecting`, then `standby` again.
 * - stop() finishes the pass in flight, then ends the session, which releases the lock and the LISTEN.
 *
 * Events: 'state' (SingleActiveWorkerState).
 */
export abstract class SingleActiveWorker extends EventEmitter {
  /** The last error met (session lost, failed pass); kept until the next one. */
  protected lastError: string | undefined;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private client: Client | undefined;
  private currentState: SingleActiveWorkerState = 'stopped';
  private pending = true;
  private wakeUp: (() => void) | undefined;

  protected constructor(private readonly options: SingleActiveWorkerOptions) {
    super();
  }

  get state(): SingleActiveWorkerState {
    return this.currentState;
  }

  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Starts in the background (idempotent). Never throws for an unreachable database: it retries. */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run().finally(() => {
      this.running = undefined;
      this.setState('stopped');
    });
  }

  /** Finishes the pass of work in flight, then releases the lock and the connection. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.running;
  }

  /** Resolves once this worker reaches `state` (tests, startup logs). */
  waitUntil(state: SingleActiveWorkerState, timeoutMs = 10_000): Promise<void> {
    if (this.currentState === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('state', onState);
        reject(
          new Error(`${this.options.name} not ${state} within ${timeoutMs} ms (now ${this.currentState})`),
        );
      }, timeoutMs);
      const onState = (s: SingleActiveWorkerState) => {
        if (s !== state) return;
        clearTimeout(timer);
        this.off('state', onState);
        resolve();
      };
      this.on('state', onState);
    });
  }

  /** One pass, on the worker's own session (which holds the lock). `signal` aborts on stop(). */
  protected abstract work(client: Client, signal: AbortSignal): Promise<WorkOutcome>;

  /**
   * What an error thrown by work() means when the session itself is fine. By default the session is
   * lost (reconnect); return 'failed' instead to retry on the same session after a backoff.
   */
  protected workFailed(error: unknown): WorkOutcome {
    if (!this.options.retryFailedWork) throw error;
    this.lastError = errorMessage(error);
    return 'failed';
  }

  /** Once the lock is taken, before the first pass (e.g. give a broker a moment to connect). */
  protected async beforeWork(_signal: AbortSignal): Promise<void> {}

  /** Called on each NOTIFY of the channel (one per commit that recorded work), before the wake-up. */
  protected notified(): void {}

  /** The pause after a failed pass. NOTIFYs do not cut it short; an override may end it earlier. */
  protected waitBeforeRetry(ms: number, signal: AbortSignal): Promise<void> {
    if (this.options.retryFailedWork) {
      this.options.logger.warn(
        { err: this.lastError, retryInMs: ms },
        `${this.options.name} failed; will retry`,
      );
    }
    return sleep(ms, signal);
  }

  private setState(state: SingleActiveWorkerState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      this.setState('connecting');
      try {
        await this.session(signal, () => (attempt = 0));
      } catch (err) {
        this.lastError = errorMessage(err);
        if (!signal.aborted) {
          this.options.logger.warn(
            { err: this.lastError, attempt },
            `${this.options.name} lost its database session`,
          );
        }
      } finally {
        await this.closeClient();
      }
      if (signal.aborted) break;
      await sleep(backoffDelay(attempt++, this.options.reconnectBackoff), signal);
    }
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    // Ending the session releases the advisory lock: a standby takes over.
    if (client) await client.end().catch(() => undefined);
  }

  private async session(signal: AbortSignal, connected: () => void): Promise<void> {
    const { channel, lockKey, logger, pollIntervalMs, retryBackoff } = this.options;
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: this.options.applicationName,
      keepAlive: true,
    });
    this.client = client;
    let broken: Error | undefined;
    client.on('error', (err) => {
      broken = err;
      this.wake();
    });
    client.on('notification', (msg) => {
      if (msg.channel !== channel) return;
      this.notified();
      this.wake();
    });
    await client.connect();
    connected();

    this.setState('standby');
    while (!signal.aborted) {
      if (broken) throw broken;
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        lockKey,
      ]);
      if (rows[0]?.locked) break;
      await sleep(pollIntervalMs, signal);
    }
    if (signal.aborted) return;

    await client.query(`LISTEN ${channel}`);
    this.setState('active');
    logger.info(`${this.options.name} active`);
    this.pending = true;
    await this.beforeWork(signal);

    let failures = 0;
    while (!signal.aborted) {
      if (broken) throw broken;
      this.pending = false;
      let outcome: WorkOutcome;
      try {
        outcome = await this.work(client, signal);
      } catch (err) {
        // Whatever failed, a broken session is lost.
        if (broken) throw broken;
        outcome = this.workFailed(err);
      }
      if (outcome === 'failed') {
        await this.waitBeforeRetry(backoffDelay(failures++, retryBackoff), signal);
        continue;
      }
      failures = 0;
      if (outcome === 'more') continue;
      await this.waitForWork(signal);
    }
  }

  private waitForWork(signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
