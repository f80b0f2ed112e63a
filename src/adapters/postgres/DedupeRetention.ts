import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** A table whose rows only serve deduplication: kept for the retention window, then deleted. */
export interface DedupeTable {
  table: string;
  /** When the row was written (indexed). */
  writtenAt: string;
  /** SQL condition on the table's row: rows it holds for stay whatever their age. */
  keepWhile?: string;
}

export const DEDUPE_TABLES: readonly DedupeTable[] = [
  { table: 'processed_messages', writtenAt: 'processed_at' },
  // order-service's decisions: an early cancel's answer lives on in its empty RELEASED reservation, so
  // the row itself only serves the retention window; a decision still waiting for its open
  // reservation's workflow (matched) stays until that reservation is settled.
  {
    table: 'order_decisions',
    writtenAt: 'recorded_at',
    keepWhile: `matched AND EXISTS (SELECT 1 FROM reservations r
      WHERE r.order_id = order_decisions.order_id AND r.status = 'RESERVED')`,
  },
];

export interface DedupeRetentionOptions {
  pool: Pick<Pool, 'query'>;
  retentionHours: number;
  logger: Logger;
  tables?: readonly DedupeTable[];
  /** Between purges (ms). */
  intervalMs?: number;
  /** Rows deleted by one statement. */
  batchSize?: number;
  /** Statements per table and purge, so that a large backlog drains over a few runs, never in one. */
  maxBatches?: number;
}

/**
 * Deletes dedupe records older than the retention, periodically, in LIMIT-ed single statements
 * (`FOR UPDATE SKIP LOCKED`: several processes purging at once skip each other's rows). The records
 * must outlive any redelivery of their message; what is older only grows the table.
 */
export class DedupeRetention {
  private readonly tables: readonly DedupeTable[];
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly maxBatches: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: DedupeRetentionOptions) {
    this.tables = options.tables ?? DEDUPE_TABLES;
    this.intervalMs = options.intervalMs ?? 10 * 60_000;
    this.batchSize = options.batchSize ?? 10_000;
    this.maxBatches = options.maxBatches ?? 10;
  }

  /** Purges now and then every `intervalMs` (idempotent). Failures are logged, never thrown. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running ??= this.purgeOnce()
        .catch((err: unknown) =>
          this.options.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'dedupe retention purge failed',
          ),
        )
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One purge of every table; resolves with the number of rows deleted. */
  async purgeOnce(): Promise<number> {
    let total = 0;
    for (const t of this.tables) {
      const sql = `DELETE FROM "${t.table}" WHERE ctid = ANY (ARRAY(
        SELECT ctid FROM "${t.table}"
         WHERE "${t.writtenAt}" < now() - make_interval(hours => $1)${t.keepWhile ? ` AND NOT (${t.keepWhile})` : ''}
         LIMIT $2 FOR UPDATE SKIP LOCKED))`;
      let deleted = 0;
      for (let batch = 0; batch < this.maxBatches; batch++) {
        const { rowCount } = await this.options.pool.query(sql, [
          this.options.retentionHours,
          this.batchSize,
        ]);
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < this.batchSize) break;
      }
      if (deleted > 0) {
        this.options.logger.info(
          { table: t.table, deleted, retentionHours: this.options.retentionHours },
          'purged dedupe records past their retention',
        );
      }
      total += deleted;
    }
    return total;
  }
}
