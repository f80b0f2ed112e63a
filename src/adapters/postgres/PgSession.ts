import { createHash } from 'node:crypto';
import type { PoolClient, QueryResultRow } from 'pg';
import { ConcurrencyError } from '../../domain/errors';

export interface Statement {
  text: string;
  values: readonly unknown[];
}

/** Registers a value for the statement being built and returns its placeholder, e.g. `$3::int[]`. */
export type Param = (value: unknown, type: string) => string;

/** One data-modifying CTE of the commit statement. */
export interface WritePart {
  /** INSERT / UPDATE text; with `expectRows` it must end in `RETURNING 1`. */
  sql: string;
  /** Rows the statement must touch; fewer means someone changed or created the row meanwhile. */
  expectRows?: number;
  conflict?: () => ConcurrencyError;
}

/**
 * A repository write kept until commit. Its values are captured when the repository's save/record is
 * called (exactly what an immediate write would have sent); only the placeholders are numbered at commit.
 */
export interface DeferredWrite {
  parts(param: Param): WritePart[];
}

/**
 * One transaction on one pooled node-postgres connection, in as few round trips as the protocol allows:
 * - statements that do not depend on each other's results go out together (pg's pipeline mode: each
 *   is its own Bind/Execute/Sync, so each still takes its own snapshot, in order); BEGIN travels with
 *   the first statement;
 * - writes are deferred and sent at commit as one statement of data-modifying CTEs, whose row counts
 *   are the optimistic checks (raised inside the statement), with COMMIT in the same round trip.
 * Statement texts are prepared once per connection (named by their hash).
 */
export class PgSession {
  private begun = false;
  private commitSent = false;
  private readonly writes: DeferredWrite[] = [];

  /** True once COMMIT went out: from then on a lost connection leaves the outcome unknown. */
  get committing(): boolean {
    return this.commitSent;
  }

  constructor(private readonly client: PoolClient) {}

  async query<R extends QueryResultRow>(statement: Statement): Promise<R[]> {
    const [rows] = await this.pipeline<[R]>([statement]);
    return rows;
  }

  /** Sends every statement at once and resolves with each one's rows, in order. */
  async pipeline<R extends QueryResultRow[]>(
    statements: readonly Statement[],
  ): Promise<{ [K in keyof R]: R[K][] }> {
    const sent: Promise<{ rows: QueryResultRow[] }>[] = [];
    this.corkUntilNextTick();
    if (!this.begun) {
      this.begun = true;
      sent.push(this.client.query('BEGIN'));
    }
    for (const s of statements)
      sent.push(this.client.query({ name: statementName(s.text), text: s.text, values: [...s.values] }));
    const results = await Promise.all(sent);
    return results.slice(results.length - statements.length).map((r) => r.rows) as { [K in keyof R]: R[K][] };
  }

  /**
   * Holds the socket's writes until the current tick ends, so that every statement sent in it (each one
   * of pg's writes, a pipeline issued by several repositories at once, a COMMIT right behind the writes)
   * leaves in one system call: on a VM each write is a syscall and wakes the backend once more.
   */
  private corkUntilNextTick(): void {
    const stream = (this.client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
    if (!stream?.cork || !stream.uncork) return;
    const uncork = stream.uncork.bind(stream);
    stream.cork();
    process.nextTick(uncork);
  }

  defer(write: DeferredWrite): void {
    this.writes.push(write);
  }

  /**
   * Sends the deferred writes and COMMIT in one round trip. A failed check raises inside the write
   * statement (inventory_write_check, SQLSTATE IV409): the transaction is then aborted, the COMMIT
   * behind it only rolls back, and the check's ConcurrencyError is thrown.
   */
  async commit(): Promise<void> {
    const flush = this.flushStatement();
    if (!flush) {
      if (!this.begun) return;
      this.commitSent = true;
      await this.client.query('COMMIT');
      return;
    }
    const written = this.pipeline([flush.statement]);
    this.commitSent = true;
    const committed = this.client.query('COMMIT');
    const [writes, commit] = await Promise.allSettled([written, committed]);
    if (writes.status === 'rejected') {
      const error = writes.reason as { code?: unknown; detail?: unknown };
      const check = error?.code === WRITE_CHECK_FAILED && flush.checks.find((c) => c.name === error.detail);
      if (check) throw check.part.conflict?.() ?? new ConcurrencyError('A row changed concurrently');
      throw writes.reason;
    }
    if (commit.status === 'rejected') throw commit.reason;
  }

  async rollback(): Promise<void> {
    if (this.begun) await this.client.query('ROLLBACK');
  }

  private flushStatement(): { statement: Statement; checks: { name: string; part: WritePart }[] } | null {
    const values: unknown[] = [];
    const param: Param = (value, type) => {
      values.push(value);
      return `$${values.length}::${type}`;
    };
    const parts = this.writes.flatMap((w) => w.parts(param)).map((part, i) => ({ name: `w${i}`, part }));
    if (parts.length === 0) return null;
    const checks = parts.filter((p) => p.part.expectRows !== undefined);
    const checked = checks.map(
      (c) =>
        `inventory_write_check('${c.name}', (SELECT count(*) FROM ${c.name}), ${param(c.part.expectRows, 'int')}) AS ${c.name}`,
    );
    const text =
      `WITH ${parts.map((p) => `${p.name} AS (${p.part.sql})`).join(',\n')}\n` +
      `SELECT ${checked.length > 0 ? checked.join(', ') : '1 AS done'}`;
    return { statement: { text, values }, checks };
  }
}

interface Corkable {
  cork?(): void;
  uncork?(): void;
}

/** SQLSTATE of inventory_write_check (migration 20261202020000_write_check); its DETAIL names the part. */
const WRITE_CHECK_FAILED = 'IV409';

const names = new Map<string, string>();
/** A stable prepared-statement name per text (pg prepares it once per connection). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `inv_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    if (names.size < 1000) names.set(text, name);
  }
  return name;
}
