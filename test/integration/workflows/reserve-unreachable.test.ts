import { createServer } from 'node:net';
import type { AwilixContainer } from 'awilix';
import { ReservationOrchestrationError } from '../../../src/adapters/temporal/errors';
import { OUTCOME_GRACE_MS } from '../../../src/application/landed';
import type { BaseCradle } from '../../../src/container/base';
import type { PersistenceCradle } from '../../../src/container/persistence';
import { registerTemporal, type TemporalCradle } from '../../../src/container/temporal';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { uniqueTaskQueue } from '../../support/temporal';
import { Ledger, persistenceContainer, seedStock, testConfig } from './support';

jest.setTimeout(60_000);

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle;
const DEADLINE_MS = 2_500;
/** Event-loop and scheduling slack on a busy 2-core box; far below the SDK's retry backoff (up to 5 s). */
const SLACK_MS = 1_000;

/** A local port that nothing listens on: every gRPC call to it fails UNAVAILABLE, as in an outage. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * RESERVE_MODE=workflow with the Temporal server unreachable, through the production client (its gRPC
 * retry interceptor included). The SDK retries an UNAVAILABLE call after a backoff that ignores the
 * call's deadline, so without a bound of its own a caller waited seconds past it (the fault suite's
 * callers gave up at 5 s). The answer must come by the deadline plus the outcome grace, and hold nothing.
 */
describe('a workflow-mode reserve while Temporal is unreachable', () => {
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let ledger: Ledger;

  beforeAll(async () => {
    db = await createTestDatabase('inv_unreachable');
    container = registerTemporal(
      persistenceContainer(
        testConfig(db.url, uniqueTaskQueue('unreachable'), {
          RESERVE_MODE: 'workflow',
          REQUEST_DEADLINE_MS: String(DEADLINE_MS),
          TEMPORAL_ADDRESS: `127.0.0.1:${await closedPort()}`,
        }),
      ),
    );
    ledger = await Ledger.open(db.url);
  });

  afterAll(async () => {
    await ledger?.close();
    await container?.dispose();
    await db?.drop();
  });

  it('answers transient by its deadline plus the grace, and takes no stock', async () => {
    const sku = uniqueSku('UR');
    await seedStock(container, sku, 5);
    for (let i = 0; i < 2; i++) {
      const orderId = uniqueOrderId('unreachable');
      const startedAt = Date.now();
      const error = await container
        .resolve('orchestrator')
        .reserve({ orderId, lines: [{ sku, quantity: 1 }] })
        .catch((e: unknown) => e);
      const waited = Date.now() - startedAt;
      expect(error).toBeInstanceOf(ReservationOrchestrationError);
      expect(error).toMatchObject({ transient: true });
      expect(waited).toBeLessThan(DEADLINE_MS + OUTCOME_GRACE_MS + SLACK_MS);
      expect(await ledger.movements(orderId)).toEqual([]);
    }
    expect(await ledger.level(sku)).toEqual({ onHand: 5, reserved: 0 });
  });
});
