import { Client as PgClient } from 'pg';
import type { AwilixContainer } from 'awilix';
import { loadConfig, type Config } from '../../../src/config';
import type { BaseCradle } from '../../../src/container/base';
import { createPersistenceContainer, type PersistenceCradle } from '../../../src/container/persistence';

export interface MovementRow {
  sku: string;
  type: string;
  quantity: number;
  reason: string | null;
}

/** Configuration pointing at the test's own database and task queue; quiet logs. */
export function testConfig(databaseUrl: string, taskQueue: string, extra: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...extra,
  });
}

export function persistenceContainer(config: Config): AwilixContainer<BaseCradle & PersistenceCradle> {
  return createPersistenceContainer(config);
}

/** Direct SQL on the test database: the ledger and levels are the evidence, read around the app. */
export class Ledger {
  private constructor(private readonly pg: PgClient) {}

  static async open(url: string): Promise<Ledger> {
    const pg = new PgClient({ connectionString: url });
    await pg.connect();
    return new Ledger(pg);
  }

  get client(): PgClient {
    return this.pg;
  }

  async movements(orderId: string): Promise<MovementRow[]> {
    const { rows } = await this.pg.query<MovementRow>(
      `SELECT sku, type, quantity, reason FROM stock_movements WHERE order_id = $1 ORDER BY id`,
      [orderId],
    );
    return rows;
  }

  async level(sku: string): Promise<{ onHand: number; reserved: number }> {
    const { rows } = await this.pg.query<{ onHand: number; reserved: number }>(
      `SELECT on_hand AS "onHand", reserved FROM stock_levels WHERE sku = $1`,
      [sku],
    );
    if (!rows[0]) throw new Error(`no stock row for ${sku}`);
    return rows[0];
  }

  async reservationStatus(orderId: string): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ status: string }>(
      `SELECT status FROM reservations WHERE order_id = $1`,
      [orderId],
    );
    return rows[0]?.status;
  }

  async close(): Promise<void> {
    await this.pg.end();
  }
}

export async function seedStock(
  container: AwilixContainer<BaseCradle & PersistenceCradle>,
  sku: string,
  onHand: number,
): Promise<void> {
  const scope = container.createScope();
  try {
    const outcome = await scope.resolve('inventoryService').setLevels({ sku, onHand });
    if (outcome.kind === 'below-reserved') throw new Error(`cannot seed ${sku}`);
  } finally {
    await scope.dispose();
  }
}
