import type { Client } from '@temporalio/client';
import { ReservationOrchestrationError } from '../../../src/adapters/temporal/errors';
import { TemporalReservationOrchestrator } from '../../../src/adapters/temporal/TemporalReservationOrchestrator';
import type { ReservationView } from '../../../src/application/contracts';
import { OUTCOME_GRACE_MS } from '../../../src/application/landed';

/** A client whose every Update-With-Start times out, as under a saturated Temporal. */
function timingOutClient(): Client {
  const unavailable = Object.assign(new Error('14 UNAVAILABLE: deadline'), { code: 14, details: 'x' });
  return {
    connection: { withDeadline: (_at: number, fn: () => Promise<unknown>) => fn() },
    workflow: {
      executeUpdateWithStart: () =>
        Promise.reject(new ReservationOrchestrationError(unavailable.message, true)),
    },
  } as unknown as Client;
}

const view = (
  lines: ReservationView['lines'],
  status: ReservationView['status'] = 'RESERVED',
): ReservationView => ({
  orderId: 'o-1',
  status,
  lines,
  expiresAt: '2030-01-01T10:15:00.000Z',
  createdAt: '2030-01-01T10:00:00.000Z',
  updatedAt: '2030-01-01T10:00:00.000Z',
});

describe('TemporalReservationOrchestrator at its deadline (workflow mode)', () => {
  const orchestrator = (current: ReservationView | null) =>
    new TemporalReservationOrchestrator({
      client: timingOutClient(),
      taskQueue: 'q',
      deadlineMs: 100,
      currentReservation: async () => current,
      releaseDirectly: async () => ({ kind: 'not-found' }),
    });

  it('answers reserved when Postgres holds the lines although the outcome never arrived', async () => {
    const held = view([{ sku: 'SKU-1', quantity: 2, status: 'RESERVED' }]);
    await expect(
      orchestrator(held).reserve({ orderId: 'o-1', lines: [{ sku: 'sku-1', quantity: 2 }] }),
    ).resolves.toEqual({ kind: 'reserved', created: false, reservation: held });
  });

  it('is transient (503: nothing reserved) when the lines are not all there as asked', async () => {
    for (const current of [
      null,
      view([{ sku: 'SKU-1', quantity: 1, status: 'RESERVED' }]),
      view([{ sku: 'SKU-1', quantity: 2, status: 'RELEASED' }], 'RELEASED'),
    ]) {
      const error = await orchestrator(current)
        .reserve({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReservationOrchestrationError);
      expect(error).toMatchObject({ transient: true });
    }
  });

  it('reads back only once the deadline has passed: an update Temporal took in may commit until then', async () => {
    // Every attempt fails at once, so the retries run out well before the deadline (the last backoff
    // would cross it). A reserve from an earlier attempt's update commits just before the deadline.
    let deadline = 0;
    const held = view([{ sku: 'SKU-1', quantity: 1, status: 'RESERVED' }]);
    const client = {
      connection: { withDeadline: (_at: number, fn: () => Promise<unknown>) => fn() },
      workflow: {
        executeUpdateWithStart: (_update: unknown, options: { args: [{ deadline: string }] }) => {
          deadline = Date.parse(options.args[0].deadline);
          return Promise.reject(new ReservationOrchestrationError('14 UNAVAILABLE', true));
        },
      },
    } as unknown as Client;
    const readAt: number[] = [];
    const reader = new TemporalReservationOrchestrator({
      client,
      taskQueue: 'q',
      deadlineMs: 300,
      currentReservation: async () => {
        readAt.push(Date.now());
        return Date.now() >= deadline - 20 ? held : null;
      },
      releaseDirectly: async () => ({ kind: 'not-found' }),
    });
    await expect(reader.reserve({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }] })).resolves.toEqual(
      { kind: 'reserved', created: false, reservation: held },
    );
    expect(readAt).toHaveLength(1);
    expect(readAt[0]).toBeGreaterThan(deadline);
  });

  it('bounds the read-back by OUTCOME_GRACE_MS of its own, so a Postgres that hangs costs a 503', async () => {
    const given: (Date | undefined)[] = [];
    let asked = 0;
    const reader = new TemporalReservationOrchestrator({
      client: timingOutClient(),
      taskQueue: 'q',
      deadlineMs: 100,
      currentReservation: async (_orderId, options) => {
        asked = Date.now();
        given.push(options.deadline);
        throw new Error('Transaction closed after 1000 ms (its deadline)');
      },
      releaseDirectly: async () => ({ kind: 'not-found' }),
    });
    const error = await reader
      .reserve({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReservationOrchestrationError);
    expect(error).toMatchObject({ transient: true });
    expect(given).toHaveLength(1);
    expect(given[0]!.getTime() - asked).toBeGreaterThanOrEqual(OUTCOME_GRACE_MS - 5);
    expect(given[0]!.getTime() - asked).toBeLessThanOrEqual(OUTCOME_GRACE_MS);
  });
});

describe('TemporalReservationOrchestrator: a release whose answer does not arrive (workflow mode)', () => {
  /** Every release update fails transiently, as when Temporal restarts under it; records its args. */
  const failingRelease = (sent: unknown[]) =>
    ({
      connection: { withDeadline: (_at: number, fn: () => Promise<unknown>) => fn() },
      workflow: {
        getHandle: () => ({
          executeUpdate: (_update: unknown, options: { args: unknown[] }) => {
            sent.push(options.args[0]);
            return Promise.reject(new ReservationOrchestrationError('14 UNAVAILABLE', true));
          },
        }),
      },
    }) as unknown as Client;
  const releasing = (client: Client, read: () => ReservationView | null, readAt: number[] = []) =>
    new TemporalReservationOrchestrator({
      client,
      taskQueue: 'q',
      deadlineMs: 60_000,
      currentReservation: async () => {
        readAt.push(Date.now());
        return read();
      },
      releaseDirectly: async () => ({ kind: 'not-found' }),
    });

  it('sends the deadline with the update, and after it answers the line that is no longer reserved', async () => {
    const sent: unknown[] = [];
    const readAt: number[] = [];
    const released = view(
      [
        { sku: 'SKU-1', quantity: 1, status: 'RELEASED' },
        { sku: 'SKU-2', quantity: 1, status: 'RESERVED' },
      ],
      'RESERVED',
    );
    const deadline = new Date(Date.now() + 150);
    const outcome = await releasing(failingRelease(sent), () => released, readAt).release(
      { orderId: 'o-1', sku: 'sku-1', reason: 'released' },
      { deadline },
    );
    expect(outcome).toEqual({ kind: 'released', changed: false, reservation: released });
    expect(sent).toEqual([{ sku: 'sku-1', reason: 'released', deadline: deadline.toISOString() }]);
    expect(readAt).toHaveLength(1);
    expect(readAt[0]).toBeGreaterThan(deadline.getTime());
  });

  it('is transient (503: nothing released) while the line, or any line without a SKU, is still held', async () => {
    const held = view([
      { sku: 'SKU-1', quantity: 1, status: 'RESERVED' },
      { sku: 'SKU-2', quantity: 1, status: 'RELEASED' },
    ]);
    for (const [command, current] of [
      [{ sku: 'SKU-1' }, held],
      [{}, held],
      [{ sku: 'SKU-1' }, null],
    ] as const) {
      const error = await releasing(failingRelease([]), () => current)
        .release({ orderId: 'o-1', reason: 'released', ...command }, { deadline: new Date(Date.now() + 20) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReservationOrchestrationError);
      expect(error).toMatchObject({ transient: true });
    }
  });
});

describe("TemporalReservationOrchestrator: the caller's deadline", () => {
  it("bounds the reserve by the command's own deadline (the HTTP request's), not now + deadlineMs", async () => {
    const sent: string[] = [];
    const bounds: number[] = [];
    const held = view([{ sku: 'SKU-1', quantity: 1, status: 'RESERVED' }]);
    const client = {
      connection: {
        withDeadline: (at: number, fn: () => Promise<unknown>) => {
          bounds.push(at);
          return fn();
        },
      },
      workflow: {
        executeUpdateWithStart: async (_update: unknown, options: { args: [{ deadline: string }] }) => {
          sent.push(options.args[0].deadline);
          return { kind: 'reserved', created: true, reservation: held };
        },
      },
    } as unknown as Client;
    const orchestrator = new TemporalReservationOrchestrator({
      client,
      taskQueue: 'q',
      deadlineMs: 60_000,
      releaseDirectly: async () => ({ kind: 'not-found' }),
    });
    const deadline = new Date(Date.now() + 500).toISOString();
    await orchestrator.reserve({ orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 1 }], deadline });
    expect(sent).toEqual([deadline]);
    expect(bounds).toEqual([Date.parse(deadline) + OUTCOME_GRACE_MS]);
  });
});

describe('TemporalReservationOrchestrator: what goes straight to Postgres carries the deadline', () => {
  it("bounds the extension's transaction, and the release's when no workflow runs, by now + deadlineMs", async () => {
    const gone = Object.assign(new Error('workflow execution already completed'), { code: 5 });
    const client = {
      connection: { withDeadline: (_at: number, fn: () => Promise<unknown>) => fn() },
      workflow: { getHandle: () => ({ executeUpdate: () => Promise.reject(gone) }) },
    } as unknown as Client;
    const given: (Date | undefined)[] = [];
    const orchestrator = new TemporalReservationOrchestrator({
      client,
      taskQueue: 'q',
      deadlineMs: 1_500,
      releaseDirectly: async (_command, options) => {
        given.push(options?.deadline);
        return { kind: 'not-found' };
      },
      extendDirectly: async (_command, options) => {
        given.push(options?.deadline);
        return { kind: 'not-found' };
      },
    });

    const before = Date.now();
    await expect(orchestrator.extend({ orderId: 'o-1', ttlSeconds: 60 })).resolves.toEqual({
      kind: 'not-found',
    });
    await expect(orchestrator.release({ orderId: 'o-1', reason: 'released' })).resolves.toEqual({
      kind: 'not-found',
    });
    const after = Date.now();
    expect(given).toHaveLength(2);
    for (const deadline of given) {
      expect(deadline).toBeInstanceOf(Date);
      expect(deadline!.getTime()).toBeGreaterThanOrEqual(before + 1_500);
      expect(deadline!.getTime()).toBeLessThanOrEqual(after + 1_500);
    }

    // The caller's own deadline (the HTTP request's) wins.
    const own = new Date(Date.now() + 200);
    await orchestrator.extend({ orderId: 'o-1', ttlSeconds: 60 }, { deadline: own });
    await orchestrator.release({ orderId: 'o-1', reason: 'released' }, { deadline: own });
    expect(given.slice(2)).toEqual([own, own]);
  });
});
