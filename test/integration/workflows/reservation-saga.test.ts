import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AwilixContainer } from 'awilix';
import { createReservationWorker, type ReservationWorker } from '../../../src/adapters/temporal/worker';
import type { BaseCradle } from '../../../src/container/base';
import { ErrorCodes, ValidationError } from '../../../src/domain/errors';
import type { PersistenceCradle } from '../../../src/container/persistence';
import {
  registerTemporal,
  reservationWorkflowDispatcherComponent,
  type ReservationDispatcherComponent,
  type TemporalCradle,
} from '../../../src/container/temporal';
import type { reservationWorkflow } from '../../../workflows/reservation';
import { reservationWorkflowId, SearchAttributeKeys, statusQuery } from '../../../workflows/shared';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { uniqueOrderId, uniqueSku } from '../../support/naming';
import { bundleWorkflows, createDevServerEnv, uniqueTaskQueue } from '../../support/temporal';
import { eventually, recordHistory } from '../../workflows/support/harness';
import { Ledger, persistenceContainer, seedStock, testConfig } from './support';

jest.setTimeout(60_000);

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle;

describe('reservation saga on the dev server with real activities and Postgres (RESERVE_MODE=workflow)', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let worker: ReservationWorker;
  let running: Promise<void>;
  let ledger: Ledger;
  let client: Client;
  let sku: string;
  /** Delivers the decisions that the bridge's port records in Postgres. */
  let dispatcher: ReservationDispatcherComponent;

  beforeAll(async () => {
    env = await createDevServerEnv();
    db = await createTestDatabase('inv_wf');
    const taskQueue = uniqueTaskQueue('saga');
    container = registerTemporal(
      persistenceContainer(testConfig(db.url, taskQueue, { RESERVE_MODE: 'workflow' })),
    );
    client = container.resolve('temporalClient');
    dispatcher = reservationWorkflowDispatcherComponent(container);
    dispatcher.start();
    worker = await createReservationWorker({
      container,
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await bundleWorkflows(require.resolve('../../../workflows')),
    });
    running = worker.run();
    ledger = await Ledger.open(db.url);
  });

  afterAll(async () => {
    await dispatcher?.stop();
    await worker?.shutdown();
    await running;
    await ledger?.close();
    await container?.dispose();
    await env?.teardown();
    await db?.drop();
  });

  beforeEach(async () => {
    sku = uniqueSku('SAGA');
    await seedStock(container, sku, 10);
  });

  const handleOf = (orderId: string) =>
    client.workflow.getHandle<typeof reservationWorkflow>(reservationWorkflowId(orderId));

  it('reserve → TTL expiry → the units are back, released once with reason expired', async () => {
    const orderId = uniqueOrderId();
    const outcome = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 3 }], ttlSeconds: 2 });
    expect(outcome).toMatchObject({ kind: 'reserved', created: true, reservation: { status: 'RESERVED' } });
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 3 });

    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 0 });
    expect(await ledger.movements(orderId)).toEqual([
      { sku, type: 'RESERVE', quantity: 3, reason: null },
      { sku, type: 'RELEASE', quantity: 3, reason: 'expired' },
    ]);
    await recordHistory(handleOf(orderId), 'devserver-expired');
  });

  it('reserve → cancel (compensation) → the units are back', async () => {
    const orderId = uniqueOrderId();
    await container.resolve('orchestrator').reserve({ orderId, lines: [{ sku, quantity: 4 }] });
    expect(await container.resolve('orderSignals').cancel(orderId, 'payment declined')).toBe('signalled');

    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
    expect(await ledger.level(sku)).toEqual({ onHand: 10, reserved: 0 });
    expect(await ledger.movements(orderId)).toEqual([
      { sku, type: 'RESERVE', quantity: 4, reason: null },
      { sku, type: 'RELEASE', quantity: 4, reason: 'cancelled' },
    ]);
    expect(await container.resolve('orderSignals').cancel(orderId)).toBe('no-workflow');
    await recordHistory(handleOf(orderId), 'devserver-cancelled');
  });

  it('reserve → confirm → the units leave stock (committed), never released', async () => {
    const orderId = uniqueOrderId();
    const second = uniqueSku('SAGA');
    await seedStock(container, second, 2);
    const orchestrator = container.resolve('orchestrator');
    await orchestrator.reserve({ orderId, lines: [{ sku, quantity: 2 }] });
    // A second SKU joins the same run (Update-With-Start, USE_EXISTING).
    const joined = await orchestrator.reserve({ orderId, lines: [{ sku: second, quantity: 2 }] });
    expect(joined.kind === 'reserved' && joined.reservation.lines.map((l) => l.sku).sort()).toEqual(
      [sku, second].sort(),
    );
    const attrs = (await handleOf(orderId).describe()).typedSearchAttributes;
    expect(attrs.get(SearchAttributeKeys.status)).toBe('RESERVED');
    expect(attrs.get(SearchAttributeKeys.skus)).toEqual([sku, second].sort());

    expect(await container.resolve('orderSignals').confirm(orderId)).toBe('signalled');

    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'CONFIRMED' });
    expect(await ledger.level(sku)).toEqual({ onHand: 8, reserved: 0 });
    expect(await ledger.level(second)).toEqual({ onHand: 0, reserved: 0 });
    expect((await ledger.movements(orderId)).map((m) => m.type)).toEqual([
      'RESERVE',
      'RESERVE',
      'COMMIT',
      'COMMIT',
    ]);
    const after = await eventually(async () => {
      const a = (await handleOf(orderId).describe()).typedSearchAttributes;
      return a.get(SearchAttributeKeys.status) === 'CONFIRMED' ? a : undefined;
    }, 'ReservationStatus=CONFIRMED');
    expect(after.get(SearchAttributeKeys.orderId)).toBe(orderId);
    await recordHistory(handleOf(orderId), 'devserver-two-skus-confirmed');
  });

  it('answers insufficient stock synchronously and ends the workflow', async () => {
    const orderId = uniqueOrderId();
    const outcome = await container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku, quantity: 11 }] });
    expect(outcome).toEqual({ kind: 'insufficient-stock', lines: [{ sku, requested: 11, available: 10 }] });
    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'REJECTED' });
    expect(await ledger.movements(orderId)).toEqual([]);
  });

  it("maps the domain's ValidationError from the activity back to a ValidationError, reserving nothing", async () => {
    const orderId = uniqueOrderId();
    const attempt = container
      .resolve('orchestrator')
      .reserve({ orderId, lines: [{ sku: 'not a sku!', quantity: 1 }] });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCodes.INVALID_SKU });
    // A validation failure is a definite "nothing reserved": no safety timer, the workflow ends.
    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'REJECTED' });
    expect(await ledger.movements(orderId)).toEqual([]);
  });

  it('releases one line over HTTP semantics, through the workflow and after it ended', async () => {
    const orderId = uniqueOrderId();
    const other = uniqueSku('SAGA');
    await seedStock(container, other, 5);
    const orchestrator = container.resolve('orchestrator');
    await orchestrator.reserve({
      orderId,
      lines: [
        { sku, quantity: 1 },
        { sku: other, quantity: 1 },
      ],
    });

    const first = await orchestrator.release({ orderId, sku, reason: 'released' });
    expect(first).toMatchObject({ kind: 'released', changed: true, reservation: { status: 'RESERVED' } });
    expect((await handleOf(orderId).query(statusQuery)).phase).toBe('RESERVED');
    const last = await orchestrator.release({ orderId, sku: other, reason: 'released' });
    expect(last).toMatchObject({
      kind: 'released',
      reservation: { status: 'RELEASED', releaseReason: 'released' },
    });
    await handleOf(orderId).result();

    expect(await orchestrator.release({ orderId, sku, reason: 'released' })).toMatchObject({
      kind: 'released',
      changed: false,
    });
    expect(await orchestrator.release({ orderId: uniqueOrderId(), sku, reason: 'released' })).toEqual({
      kind: 'not-found',
    });
    expect((await ledger.movements(orderId)).filter((m) => m.type === 'RELEASE')).toHaveLength(2);
  });
});
