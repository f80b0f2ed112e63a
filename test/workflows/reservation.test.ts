import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundle } from '@temporalio/worker';
import { asValue, createContainer, InjectionMode } from 'awilix';
import type { ReservationActivitiesCradle } from '../../activities';
import { ReservationOrchestrationError } from '../../src/adapters/temporal/errors';
import { TemporalOrderSignals } from '../support/TemporalOrderSignals';
import { TemporalReservationOrchestrator } from '../../src/adapters/temporal/TemporalReservationOrchestrator';
import { createReservationWorker, type ReservationWorker } from '../../src/adapters/temporal/worker';
import { ErrorCodes, ValidationError } from '../../src/domain/errors';
import { deliverWorkflowRequest } from '../../src/adapters/temporal/ReservationWorkflowDispatcher';
import type { reservationWorkflow } from '../../workflows/reservation';
import {
  reservationWorkflowId,
  SearchAttributeKeys,
  statusQuery,
  type ReservationWorkflowResult,
  type WorkflowRequestSignal,
} from '../../workflows/shared';
import { uniqueOrderId, uniqueSku } from '../support/naming';
import { bundleWorkflows, createTimeSkippingEnv, uniqueTaskQueue } from '../support/temporal';
import { FakeInventory } from './support/FakeInventory';
import { eventually, recordHistory, registerSearchAttributes } from './support/harness';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
jest.setTimeout(30_000);

describe('reservation workflow (time-skipping server, stubbed use cases)', () => {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;
  let inventory: FakeInventory;
  let worker: ReservationWorker;
  let running: Promise<void>;
  let orchestrator: TemporalReservationOrchestrator;
  let signals: TemporalOrderSignals;
  let skuA: string;
  let skuB: string;
  let taskQueue: string;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    await registerSearchAttributes(env.connection);
    bundle = await bundleWorkflows(require.resolve('../../workflows'));
  });

  afterAll(async () => {
    await env?.teardown();
  });

  beforeEach(async () => {
    inventory = new FakeInventory(async () => Number(await env.currentTimeMs()));
    skuA = uniqueSku('A');
    skuB = uniqueSku('B');
    inventory.seed(skuA, 10);
    inventory.seed(skuB, 5);
    const container = createContainer<ReservationActivitiesCradle>({ injectionMode: InjectionMode.PROXY });
    container.register({ inventoryService: asValue(inventory) });
    taskQueue = uniqueTaskQueue('reservation-ts');
    worker = await createReservationWorker({
      container,
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
    });
    running = worker.run();
    orchestrator = new TemporalReservationOrchestrator({
      client: env.client,
      taskQueue,
      defaultTtlSeconds: 900,
      deadlineMs: 2_000,
      releaseDirectly: (command) => inventory.release(command),
    });
    signals = new TemporalOrderSignals({ client: env.client });
  });

  afterEach(async () => {
    await worker?.shutdown();
    await running;
  });

  function handleOf(orderId: string): WorkflowHandle<typeof reservationWorkflow> {
    return env.client.workflow.getHandle(reservationWorkflowId(orderId));
  }

  async function virtualNow(): Promise<number> {
    return Number(await env.currentTimeMs());
  }

  async function reserveOne(orderId: string, sku = skuA, quantity = 2, ttlSeconds?: number) {
    const outcome = await orchestrator.reserve({ orderId, lines: [{ sku, quantity }], ttlSeconds });
    expect(outcome.kind).toBe('reserved');
    return outcome;
  }

  it('releases with reason expired after 15 virtual minutes, in seconds of wall time', async () => {
    const orderId = uniqueOrderId();
    const wallStart = Date.now();
    const virtualStart = await virtualNow();
    await reserveOne(orderId);
    expect(inventory.stock.get(skuA)).toEqual({ onHand: 10, reserved: 2 });

    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
    expect((await virtualNow()) - virtualStart).toBeGreaterThanOrEqual(FIFTEEN_MINUTES);
    expect(Date.now() - wallStart).toBeLessThan(15_000);
    expect(inventory.entries(orderId, 'RELEASE')).toEqual([
      { type: 'RELEASE', orderId, sku: skuA, quantity: 2, reason: 'expired' },
    ]);
    expect(inventory.stock.get(skuA)).toEqual({ onHand: 10, reserved: 0 });
    await recordHistory(handleOf(orderId), 'expired');
  });

  it('honours a per-request ttlSeconds', async () => {
    const orderId = uniqueOrderId();
    const virtualStart = await virtualNow();
    await reserveOne(orderId, skuA, 1, 60);
    await handleOf(orderId).result();
    const elapsed = (await virtualNow()) - virtualStart;
    expect(elapsed).toBeGreaterThanOrEqual(60_000);
    expect(elapsed).toBeLessThan(FIFTEEN_MINUTES);
  });

  it('commits on confirm before expiry and never releases', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    expect(await signals.confirm(orderId)).toBe('signalled');

    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'CONFIRMED' });
    expect(inventory.entries(orderId, 'COMMIT')).toHaveLength(1);
    expect(inventory.entries(orderId, 'RELEASE')).toHaveLength(0);
    expect(inventory.stock.get(skuA)).toEqual({ onHand: 8, reserved: 0 });
    // Later decisions find no workflow and change nothing.
    expect(await signals.cancel(orderId)).toBe('no-workflow');
    expect(await signals.confirm(orderId)).toBe('no-workflow');
    expect(inventory.calls.filter((c) => c.op !== 'reserve')).toHaveLength(1);
    await recordHistory(handleOf(orderId), 'confirmed');
  });

  it('releases exactly once on cancel, with reason cancelled', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    expect(await signals.cancel(orderId, 'customer changed their mind')).toBe('signalled');

    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
    expect(inventory.entries(orderId, 'RELEASE')).toEqual([
      { type: 'RELEASE', orderId, sku: skuA, quantity: 2, reason: 'cancelled' },
    ]);
    expect(inventory.calls.filter((c) => c.op === 'release')).toHaveLength(1);
    expect(inventory.stock.get(skuA)).toEqual({ onHand: 10, reserved: 0 });
    await recordHistory(handleOf(orderId), 'cancelled');
  });

  it("carries order-service's cancel reason into the release, as the movements' note", async () => {
    const withReason = uniqueOrderId();
    const without = uniqueOrderId();
    await reserveOne(withReason);
    await reserveOne(without, skuB, 1);
    expect(await signals.cancel(withReason, 'payment declined')).toBe('signalled');
    expect(await signals.cancel(without)).toBe('signalled');
    await handleOf(withReason).result();
    await handleOf(without).result();

    const releases = inventory.calls.filter((c) => c.op === 'release').map((c) => c.command);
    expect(releases).toEqual(
      expect.arrayContaining([
        { orderId: withReason, reason: 'cancelled', note: 'payment declined' },
        { orderId: without, reason: 'cancelled' },
      ]),
    );
  });

  it('applies a duplicated cancel (and a late confirm) once', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    // Delivered in this order; the workflow may already be releasing when the later ones arrive.
    for (const send of [
      () => signals.cancel(orderId),
      () => signals.cancel(orderId),
      () => signals.confirm(orderId),
    ]) {
      expect(['signalled', 'no-workflow']).toContain(await send());
    }

    const result = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'cancelled' });
    // Local activities are at-least-once (a workflow task rejected because signals arrived while it
    // ran is retried, and its activity with it): the use case's state check keeps the effect single.
    expect(inventory.entries(orderId, 'RELEASE')).toEqual([
      { type: 'RELEASE', orderId, sku: skuA, quantity: 2, reason: 'cancelled' },
    ]);
    expect(inventory.calls.filter((c) => c.op === 'confirm')).toHaveLength(0);
    expect(inventory.entries(orderId, 'COMMIT')).toHaveLength(0);
    expect(inventory.stock.get(skuA)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('answers no-workflow to a cancel after expiry and releases nothing more', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    await handleOf(orderId).result();

    expect(await signals.cancel(orderId)).toBe('no-workflow');

    expect(inventory.entries(orderId, 'RELEASE')).toEqual([
      { type: 'RELEASE', orderId, sku: skuA, quantity: 2, reason: 'expired' },
    ]);
    expect(inventory.calls.filter((c) => c.op === 'release')).toHaveLength(1);
  });

  it('lets a second SKU join the running workflow and settles both lines together', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId, skuA, 2);
    const runId = (await handleOf(orderId).describe()).runId;
    const second = await orchestrator.reserve({ orderId, lines: [{ sku: skuB, quantity: 3 }] });

    expect(second).toMatchObject({ kind: 'reserved', created: true });
    expect((await handleOf(orderId).describe()).runId).toBe(runId);
    const status = await handleOf(orderId).query(statusQuery);
    expect(status.phase).toBe('RESERVED');
    expect(status.reservation?.lines.map((l) => l.sku).sort()).toEqual([skuA, skuB].sort());

    await signals.cancel(orderId);
    const result = await handleOf(orderId).result();

    expect(result.phase).toBe('RELEASED');
    expect(inventory.calls.filter((c) => c.op === 'release')).toHaveLength(1);
    expect(
      inventory
        .entries(orderId, 'RELEASE')
        .map((e) => e.sku)
        .sort(),
    ).toEqual([skuA, skuB].sort());
    expect(inventory.stock.get(skuB)).toEqual({ onHand: 5, reserved: 0 });
    await recordHistory(handleOf(orderId), 'two-skus-cancelled');
  });

  it('returns an identical repeat as reserved (created=false) without reserving twice', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    const repeat = await orchestrator.reserve({ orderId, lines: [{ sku: skuA, quantity: 2 }] });
    expect(repeat).toMatchObject({ kind: 'reserved', created: false });
    const conflict = await orchestrator.reserve({ orderId, lines: [{ sku: skuA, quantity: 3 }] });
    expect(conflict.kind).toBe('quantity-conflict');
    expect(inventory.entries(orderId, 'RESERVE')).toHaveLength(1);
    await signals.cancel(orderId);
    await handleOf(orderId).result();
  });

  it('ends promptly, with no timer, when the first reserve reserves nothing', async () => {
    const orderId = uniqueOrderId();
    const outcome = await orchestrator.reserve({ orderId, lines: [{ sku: skuB, quantity: 6 }] });
    expect(outcome).toEqual({
      kind: 'insufficient-stock',
      lines: [{ sku: skuB, requested: 6, available: 5 }],
    });

    const result: ReservationWorkflowResult = await handleOf(orderId).result();

    expect(result).toMatchObject({ phase: 'REJECTED', reservation: null });
    const history = await handleOf(orderId).fetchHistory();
    expect(history.events?.some((e) => e.timerStartedEventAttributes)).toBe(false);
    expect(inventory.calls.map((c) => c.op)).toEqual(['reserve']);
    // The order can try again later: a new run starts.
    await reserveOne(orderId, skuB, 5);
    await signals.cancel(orderId);
    await handleOf(orderId).result();
    await recordHistory(handleOf(orderId), 'rejected-then-reserved');
  });

  it('answers reservation-closed (410) to a reserve after the order was settled', async () => {
    const orderId = uniqueOrderId();
    await reserveOne(orderId);
    await signals.confirm(orderId);
    await handleOf(orderId).result();
    const late = await orchestrator.reserve({ orderId, lines: [{ sku: skuB, quantity: 1 }] });
    expect(late.kind).toBe('reservation-closed');
    expect(inventory.entries(orderId, 'RESERVE')).toHaveLength(1);
  });

  it('releases one line through the update while the other stays reserved, then the last one ends it', async () => {
    const orderId = uniqueOrderId();
    await orchestrator.reserve({
      orderId,
      lines: [
        { sku: skuA, quantity: 1 },
        { sku: skuB, quantity: 1 },
      ],
    });

    const first = await orchestrator.release({ orderId, sku: skuA, reason: 'released' });
    expect(first).toMatchObject({ kind: 'released', changed: true, reservation: { status: 'RESERVED' } });
    expect((await handleOf(orderId).query(statusQuery)).phase).toBe('RESERVED');
    expect(await orchestrator.release({ orderId, sku: 'NOPE-1', reason: 'released' })).toEqual({
      kind: 'line-not-found',
    });

    const last = await orchestrator.release({ orderId, sku: skuB, reason: 'released' });
    expect(last).toMatchObject({ kind: 'released', changed: true, reservation: { status: 'RELEASED' } });
    const result = await handleOf(orderId).result();
    expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'released' });

    // The workflow is gone: the orchestrator answers through the use case, idempotently.
    const repeat = await orchestrator.release({ orderId, sku: skuB, reason: 'released' });
    expect(repeat).toMatchObject({ kind: 'released', changed: false });
    expect(await orchestrator.release({ orderId: uniqueOrderId(), sku: skuA, reason: 'released' })).toEqual({
      kind: 'not-found',
    });
    expect(inventory.entries(orderId, 'RELEASE')).toHaveLength(2);
    await recordHistory(handleOf(orderId), 'released-line-by-line');
  });

  it('rejects invalid input in the update validator, before any activity runs', async () => {
    const orderId = uniqueOrderId();
    const attempt = orchestrator.reserve({ orderId, lines: [{ sku: skuA, quantity: 0 }] });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCodes.INVALID_QUANTITY });
    // The start went through; with no valid reserve the workflow ends after its grace period.
    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'REJECTED' });
    expect(inventory.calls).toHaveLength(0);
  });

  it("maps the use case's ValidationError back to the caller, and ends the workflow at once", async () => {
    const orderId = uniqueOrderId();
    const attempt = orchestrator.reserve({ orderId, lines: [{ sku: 'bad sku!', quantity: 1 }] });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCodes.INVALID_SKU,
      details: { sku: 'bad sku!' },
    });

    expect(await handleOf(orderId).result()).toMatchObject({ phase: 'REJECTED' });
    // Not retried (non-retryable) and no safety timer: a validation failure reserved nothing.
    expect(inventory.calls).toHaveLength(1);
    const history = await handleOf(orderId).fetchHistory();
    expect(history.events?.some((e) => e.timerStartedEventAttributes)).toBe(false);
  });

  it('retries a transient reserve failure inside the update', async () => {
    const orderId = uniqueOrderId();
    inventory.failures.set('reserve', 2);
    await reserveOne(orderId);
    expect(inventory.calls.filter((c) => c.op === 'reserve')).toHaveLength(3);
    await signals.cancel(orderId);
    await handleOf(orderId).result();
  });

  it('fails the caller when reserve keeps failing, and still guards the TTL in case it committed', async () => {
    const orderId = uniqueOrderId();
    // More failures than the orchestrator's retries within its deadline can absorb.
    inventory.failures.set('reserve', 1_000);
    const virtualStart = await virtualNow();
    const attempt = orchestrator.reserve({ orderId, lines: [{ sku: skuA, quantity: 1 }] });
    await expect(attempt).rejects.toBeInstanceOf(ReservationOrchestrationError);
    await expect(attempt).rejects.toMatchObject({ transient: true });

    const status = await handleOf(orderId).query(statusQuery);
    expect(status).toMatchObject({ phase: 'PENDING', uncertain: true });
    const result = await handleOf(orderId).result();

    // Nothing had been reserved after all: the safety release found no reservation.
    expect(result.phase).toBe('REJECTED');
    expect((await virtualNow()) - virtualStart).toBeGreaterThanOrEqual(FIFTEEN_MINUTES);
    expect(inventory.calls.filter((c) => c.op === 'release')).toHaveLength(1);
  });

  it('publishes search attributes as the state changes', async () => {
    const orderId = uniqueOrderId();
    const reserved = await reserveOne(orderId, skuA, 1);
    const expiresAt = reserved.kind === 'reserved' ? reserved.reservation.expiresAt : '';
    await orchestrator.reserve({ orderId, lines: [{ sku: skuB, quantity: 1 }] });

    const during = (await handleOf(orderId).describe()).typedSearchAttributes;
    expect(during.get(SearchAttributeKeys.orderId)).toBe(orderId);
    expect(during.get(SearchAttributeKeys.status)).toBe('RESERVED');
    expect(during.get(SearchAttributeKeys.skus)).toEqual([skuA, skuB].sort());
    expect(during.get(SearchAttributeKeys.expiresAt)?.toISOString()).toBe(expiresAt);

    await signals.confirm(orderId);
    await handleOf(orderId).result();
    const after = await eventually(async () => {
      const attrs = (await handleOf(orderId).describe()).typedSearchAttributes;
      return attrs.get(SearchAttributeKeys.status) === 'CONFIRMED' ? attrs : undefined;
    }, 'ReservationStatus=CONFIRMED');
    expect(after.get(SearchAttributeKeys.orderId)).toBe(orderId);
  });

  describe('started by the dispatcher after a Postgres-first reserve (RESERVE_MODE=db)', () => {
    /** The HTTP path: the use case alone, as the database transaction runs it. */
    async function reserveInDatabase(orderId: string, sku = skuA, quantity = 2, ttlSeconds?: number) {
      const outcome = await inventory.reserve({ orderId, lines: [{ sku, quantity }], ttlSeconds });
      if (outcome.kind !== 'reserved') throw new Error(`not reserved: ${outcome.kind}`);
      return outcome.reservation;
    }

    /** What the dispatcher sends for a request row, with the reservation as the database has it. */
    async function deliver(orderId: string, kind: WorkflowRequestSignal['kind'], reason?: string) {
      const r = inventory.reservations.get(orderId);
      await deliverWorkflowRequest(env.client, {
        orderId,
        taskQueue,
        request: {
          kind,
          status: r?.status ?? null,
          expiresAt: r ? new Date(r.expiresAt).toISOString() : null,
          skus: r ? r.lines.filter((l) => l.status === 'RESERVED').map((l) => l.sku) : [],
          ...(reason ? { reason } : {}),
        },
      });
    }

    it("expires at the database's expiresAt, not at the workflow's start", async () => {
      const orderId = uniqueOrderId();
      const reserved = await reserveInDatabase(orderId, skuA, 2, 600);
      await env.sleep(300_000); // the workflow starts five minutes late (dispatcher backlog)
      const startedAt = await virtualNow();
      await deliver(orderId, 'start');

      const result = await handleOf(orderId).result();
      expect(result).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
      const elapsed = (await virtualNow()) - startedAt;
      expect(elapsed).toBeGreaterThanOrEqual(Date.parse(reserved.expiresAt) - startedAt);
      expect(elapsed).toBeLessThan(600_000);
      expect(inventory.entries(orderId, 'RELEASE')).toEqual([
        { type: 'RELEASE', orderId, sku: skuA, quantity: 2, reason: 'expired' },
      ]);
      await recordHistory(handleOf(orderId), 'db-expired');
    });

    it('re-arms its timer on an extension: nothing expires at the old expiresAt', async () => {
      const orderId = uniqueOrderId();
      const reserved = await reserveInDatabase(orderId, skuA, 1, 60);
      await deliver(orderId, 'start');
      // The extension use case moved expiresAt in the database; the dispatcher delivers `extend`.
      const extendedTo = Date.parse(reserved.expiresAt) + 3_600_000;
      inventory.reservations.get(orderId)!.expiresAt = extendedTo;
      await deliver(orderId, 'extend');

      await env.sleep(120_000); // past the old expiry
      expect(await handleOf(orderId).query(statusQuery)).toMatchObject({
        phase: 'RESERVED',
        expiresAt: new Date(extendedTo).toISOString(),
      });
      expect(inventory.entries(orderId, 'RELEASE')).toEqual([]);
      const attrs = (await handleOf(orderId).describe()).typedSearchAttributes;
      expect(attrs.get(SearchAttributeKeys.expiresAt)?.getTime()).toBe(extendedTo);

      expect(await handleOf(orderId).result()).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
      expect(await virtualNow()).toBeGreaterThanOrEqual(extendedTo);
      expect(inventory.entries(orderId, 'RELEASE')).toHaveLength(1);
    });

    it('releases at once when it starts after expiresAt has passed', async () => {
      const orderId = uniqueOrderId();
      await reserveInDatabase(orderId, skuA, 3, 60);
      await env.sleep(120_000);
      const startedAt = await virtualNow();
      await deliver(orderId, 'start');

      expect(await handleOf(orderId).result()).toMatchObject({ phase: 'RELEASED', releaseReason: 'expired' });
      expect((await virtualNow()) - startedAt).toBeLessThan(60_000);
      expect(inventory.stock.get(skuA)).toEqual({ onHand: 10, reserved: 0 });
      expect(inventory.entries(orderId, 'RELEASE')).toHaveLength(1);
    });

    it('commits on a confirm delivered after the start, and ignores a repeated start and a late cancel', async () => {
      const orderId = uniqueOrderId();
      await reserveInDatabase(orderId);
      await deliver(orderId, 'start');
      await deliver(orderId, 'start');
      await deliver(orderId, 'confirm');
      await deliver(orderId, 'cancel');

      expect(await handleOf(orderId).result()).toMatchObject({ phase: 'CONFIRMED' });
      expect(inventory.entries(orderId, 'COMMIT')).toHaveLength(1);
      expect(inventory.entries(orderId, 'RELEASE')).toEqual([]);
      expect(inventory.stock.get(skuA)).toEqual({ onHand: 8, reserved: 0 });
      await recordHistory(handleOf(orderId), 'db-confirmed');
    });

    it('starts on a cancel that arrives before its start was delivered, and releases once', async () => {
      const orderId = uniqueOrderId();
      await reserveInDatabase(orderId, skuB, 1);
      await deliver(orderId, 'cancel', 'payment declined');
      await deliver(orderId, 'cancel', 'payment declined');
      await deliver(orderId, 'start');

      expect(await handleOf(orderId).result()).toMatchObject({
        phase: 'RELEASED',
        releaseReason: 'cancelled',
      });
      expect(inventory.entries(orderId, 'RELEASE')).toEqual([
        { type: 'RELEASE', orderId, sku: skuB, quantity: 1, reason: 'cancelled' },
      ]);
      await recordHistory(handleOf(orderId), 'db-cancelled');
    });

    it("passes the dispatcher's cancel reason on to the release", async () => {
      const orderId = uniqueOrderId();
      await reserveInDatabase(orderId);
      await deliver(orderId, 'start');
      await deliver(orderId, 'cancel', 'out of stock at the warehouse');

      expect(await handleOf(orderId).result()).toMatchObject({ releaseReason: 'cancelled' });
      expect(inventory.calls.filter((c) => c.op === 'release').map((c) => c.command)).toEqual([
        { orderId, reason: 'cancelled', note: 'out of stock at the warehouse' },
      ]);
    });

    it('ends without touching stock once the database says the caller released everything', async () => {
      const orderId = uniqueOrderId();
      await reserveInDatabase(orderId);
      await deliver(orderId, 'start');
      await inventory.release({ orderId, reason: 'released' });
      await deliver(orderId, 'release');

      expect(await handleOf(orderId).result()).toMatchObject({
        phase: 'RELEASED',
        releaseReason: 'released',
      });
      expect(inventory.entries(orderId, 'RELEASE')).toHaveLength(1);
    });

    it('publishes the search attributes of the reservation the dispatcher reported', async () => {
      const orderId = uniqueOrderId();
      const reserved = await reserveInDatabase(orderId, skuA, 1);
      await inventory.reserve({ orderId, lines: [{ sku: skuB, quantity: 1 }] });
      await deliver(orderId, 'start');

      const attrs = await eventually(async () => {
        const a = (await handleOf(orderId).describe()).typedSearchAttributes;
        return a.get(SearchAttributeKeys.skus)?.length === 2 ? a : undefined;
      }, 'Skus of both lines');
      expect(attrs.get(SearchAttributeKeys.status)).toBe('RESERVED');
      expect(attrs.get(SearchAttributeKeys.skus)).toEqual([skuA, skuB].sort());
      expect(attrs.get(SearchAttributeKeys.expiresAt)?.toISOString()).toBe(reserved.expiresAt);
      await deliver(orderId, 'confirm');
      await handleOf(orderId).result();
    });
  });
});
