import { DirectReservationOrchestrator } from '../../../src/application/DirectReservationOrchestrator';
import { DomainError, ErrorCodes } from '../../../src/domain/errors';
import { inMemoryInventory } from '../../support/fakes';
import { CommandMother } from '../../support/mothers/CommandMother';
import { MOVEMENT_NOTE_MAX_LENGTH } from '../../../src/domain/limits';

async function withStock(levels: Record<string, number>) {
  const env = inMemoryInventory();
  for (const [sku, onHand] of Object.entries(levels)) await env.service.setLevels({ sku, onHand });
  env.tables().outbox.length = 0;
  const orchestrator = new DirectReservationOrchestrator({ withInventory: (work) => work(env.service) });
  return { ...env, orchestrator };
}

const movementsOf = (env: Awaited<ReturnType<typeof withStock>>, type: string) =>
  env.tables().movements.filter((m) => m.type === type);

describe('the Postgres-first reserve (RESERVE_MODE=db)', () => {
  it("records the request to start the order's workflow in the reserve's own transaction", async () => {
    const env = await withStock({ A: 5, B: 5 });
    const commits = env.unitOfWork.commits;
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 2 }]);

    await expect(env.orchestrator.reserve(cmd)).resolves.toMatchObject({ kind: 'reserved', created: true });

    expect(env.unitOfWork.commits).toBe(commits + 1);
    expect(env.tables().workflowRequests).toEqual([{ orderId: cmd.orderId, kind: 'start' }]);
    // A repeat changes nothing and asks for nothing; a further SKU joins and asks again.
    await env.orchestrator.reserve(cmd);
    expect(env.tables().workflowRequests).toHaveLength(1);
    await env.orchestrator.reserve({ ...cmd, lines: [{ sku: 'B', quantity: 1 }] });
    expect(env.tables().workflowRequests).toEqual([
      { orderId: cmd.orderId, kind: 'start' },
      { orderId: cmd.orderId, kind: 'start' },
    ]);
  });

  it('asks nothing of the workflow when the caller is the workflow (RESERVE_MODE=workflow) or the reserve fails', async () => {
    const env = await withStock({ A: 1 });
    await env.service.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]));
    await env.orchestrator.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]));
    await env.orchestrator.reserve(CommandMother.reserve([{ sku: 'NOPE', quantity: 1 }]));
    expect(env.tables().workflowRequests).toEqual([]);
  });

  it("releases other orders' expired lines that hold the stock a line needs, once, with reason expired", async () => {
    const env = await withStock({ A: 3, B: 4 });
    const old = CommandMother.reserve(
      [
        { sku: 'A', quantity: 3 },
        { sku: 'B', quantity: 1 },
      ],
      { ttlSeconds: 2 },
    );
    await env.orchestrator.reserve(old);
    env.clock.advance(3);
    env.tables().outbox.length = 0;

    const next = CommandMother.reserve([{ sku: 'A', quantity: 2 }]);
    await expect(env.orchestrator.reserve(next)).resolves.toMatchObject({ kind: 'reserved', created: true });

    expect(movementsOf(env, 'RELEASE')).toEqual([
      expect.objectContaining({ sku: 'A', quantity: 3, orderId: old.orderId, reason: 'expired' }),
    ]);
    expect(env.tables().outbox.map((m) => [m.type, m.data.orderId, m.data.reason ?? null])).toEqual([
      ['StockReleased', old.orderId, 'expired'],
      ['StockReserved', next.orderId, null],
      // A went 0 → 1 available over the transaction (the expired line had taken all of it).
      ['StockRestored', undefined, null],
    ]);
    expect(await env.service.getStockLevel('A')).toMatchObject({ reserved: 2, available: 1 });
    // Only the line on the stock that was needed; the old order's other line waits for its workflow.
    expect(await env.service.getReservation(old.orderId)).toMatchObject({
      status: 'RESERVED',
      lines: [
        { sku: 'A', status: 'RELEASED' },
        { sku: 'B', status: 'RESERVED' },
      ],
    });

    // The workflow's own expiry later finds that line done and releases the rest, once.
    await env.service.release({ orderId: old.orderId, reason: 'expired' });
    expect(movementsOf(env, 'RELEASE').map((m) => m.sku)).toEqual(['A', 'B']);
    expect(await env.service.getReservation(old.orderId)).toMatchObject({
      status: 'RELEASED',
      releaseReason: 'expired',
    });
  });

  it('does not touch expired lines when the stock suffices, and answers short when even they do not cover it', async () => {
    const env = await withStock({ A: 4 });
    const old = CommandMother.reserve([{ sku: 'A', quantity: 1 }], { ttlSeconds: 1 });
    await env.orchestrator.reserve(old);
    env.clock.advance(2);
    await env.orchestrator.reserve(CommandMother.reserve([{ sku: 'A', quantity: 3 }]));
    expect(movementsOf(env, 'RELEASE')).toHaveLength(0);

    const outcome = await env.orchestrator.reserve(CommandMother.reserve([{ sku: 'A', quantity: 5 }]));
    expect(outcome).toEqual({
      kind: 'insufficient-stock',
      lines: [{ sku: 'A', requested: 5, available: 1 }],
    });
    // The expired line was released all the same (committed with the short answer), once.
    expect(movementsOf(env, 'RELEASE')).toEqual([
      expect.objectContaining({ orderId: old.orderId, reason: 'expired' }),
    ]);
  });

  it("closes the order's own expired reservation: a late repeat or a further SKU gets reservation-closed", async () => {
    const env = await withStock({ A: 2, B: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 2 }], { ttlSeconds: 5 });
    await env.orchestrator.reserve(cmd);
    env.clock.advance(5);

    const late = await env.orchestrator.reserve({ ...cmd, lines: [{ sku: 'B', quantity: 1 }] });
    expect(late).toMatchObject({
      kind: 'reservation-closed',
      reservation: { status: 'RELEASED', releaseReason: 'expired' },
    });
    expect(await env.service.getStockLevel('A')).toMatchObject({ reserved: 0, available: 2 });
    expect(await env.service.getStockLevel('B')).toMatchObject({ reserved: 0 });
    expect(await env.orchestrator.reserve(cmd)).toMatchObject({ kind: 'reservation-closed' });
    expect(movementsOf(env, 'RELEASE')).toHaveLength(1);
  });

  it('refuses a reserve past its deadline and writes nothing', async () => {
    const env = await withStock({ A: 2 });
    const deadline = new Date(env.clock.now().getTime() - 1).toISOString();
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }], { deadline });
    const error = await env.service.reserve(cmd).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCodes.DEADLINE_EXCEEDED);
    expect(await env.service.getReservation(cmd.orderId)).toBeNull();
    expect(env.tables().movements.filter((m) => m.type === 'RESERVE')).toHaveLength(0);
  });

  /** The db-mode orchestrator over `env`, with `deadlineMs` on the env's clock. */
  const orchestratorWithDeadline = (env: Awaited<ReturnType<typeof withStock>>, deadlineMs: number) =>
    new DirectReservationOrchestrator({
      withInventory: (work) => work(env.service),
      deadlineMs,
      now: () => env.clock.now().getTime(),
    });

  it("bounds a reserve's transaction by its deadline: its own, else now + the orchestrator's deadlineMs", async () => {
    const env = await withStock({ A: 5 });
    const orchestrator = orchestratorWithDeadline(env, 2_000);
    const run = jest.spyOn(env.unitOfWork, 'run');
    const before = env.clock.now().getTime();
    await orchestrator.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]));
    const given = run.mock.calls[0]?.[1]?.deadline;
    expect(given).toBeInstanceOf(Date);
    expect(given!.getTime()).toBeGreaterThanOrEqual(before + 2_000);
    expect(given!.getTime()).toBeLessThanOrEqual(env.clock.now().getTime() + 2_000);

    const own = new Date(env.clock.now().getTime() + 60_000).toISOString();
    await orchestrator.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }], { deadline: own }));
    expect(run.mock.calls[1]?.[1]?.deadline?.toISOString()).toBe(own);
  });

  it("bounds a release's and an extension's transactions by now + the orchestrator's deadlineMs", async () => {
    const env = await withStock({ A: 5 });
    const orchestrator = orchestratorWithDeadline(env, 1_500);
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await orchestrator.reserve(cmd);
    const run = jest.spyOn(env.unitOfWork, 'run');
    const at = env.clock.now().getTime() + 1_500;

    await expect(orchestrator.extend({ orderId: cmd.orderId, ttlSeconds: 600 })).resolves.toMatchObject({
      kind: 'extended',
    });
    await expect(orchestrator.release({ orderId: cmd.orderId, reason: 'released' })).resolves.toMatchObject({
      kind: 'released',
    });
    expect(run.mock.calls.map((call) => call[1]?.deadline?.getTime())).toEqual([at, at]);

    // The caller's own deadline (the HTTP request's) wins over now + deadlineMs.
    const own = new Date(env.clock.now().getTime() + 300);
    await orchestrator.extend({ orderId: cmd.orderId, ttlSeconds: 900 }, { deadline: own });
    await orchestrator.release({ orderId: cmd.orderId, reason: 'released' }, { deadline: own });
    expect(run.mock.calls.slice(2).map((call) => call[1]?.deadline)).toEqual([own, own]);
  });

  it('a release before any reserve closes the order in advance: the late reserve is refused and holds nothing', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await expect(
      env.orchestrator.release({ orderId: cmd.orderId, sku: 'A', reason: 'released' }),
    ).resolves.toEqual({ kind: 'not-found' });

    const late = await env.orchestrator.reserve(cmd);
    expect(late).toMatchObject({
      kind: 'reservation-closed',
      reservation: { status: 'RELEASED', releaseReason: 'released', lines: [] },
    });
    expect(await env.service.getStockLevel('A')).toMatchObject({ reserved: 0 });
    expect(env.tables().workflowRequests).toEqual([]);
  });

  it('tells the workflow when the caller released the last line, not before', async () => {
    const env = await withStock({ A: 2, B: 2 });
    const cmd = CommandMother.reserve([
      { sku: 'A', quantity: 1 },
      { sku: 'B', quantity: 1 },
    ]);
    await env.orchestrator.reserve(cmd);
    await env.orchestrator.release({ orderId: cmd.orderId, sku: 'A', reason: 'released' });
    expect(env.tables().workflowRequests.map((r) => r.kind)).toEqual(['start']);
    await env.orchestrator.release({ orderId: cmd.orderId, sku: 'B', reason: 'released' });
    expect(env.tables().workflowRequests.map((r) => r.kind)).toEqual(['start', 'release']);
  });
});

describe("order-service's decisions, recorded in Postgres (RecordOrderDecision)", () => {
  it('queues a decision on an open reservation for the workflow', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await env.orchestrator.reserve(cmd);

    await expect(env.service.orderDecisions.cancel(cmd.orderId, 'customer changed mind')).resolves.toBe(
      'signalled',
    );
    await expect(env.service.orderDecisions.confirm(cmd.orderId)).resolves.toBe('signalled');
    expect(env.tables().workflowRequests.slice(1)).toEqual([
      { orderId: cmd.orderId, kind: 'cancel', reason: 'customer changed mind' },
      { orderId: cmd.orderId, kind: 'confirm' },
    ]);
    // Nothing moved yet: the workflow applies the first decision.
    expect(await env.service.getStockLevel('A')).toMatchObject({ reserved: 1 });
  });

  it("keeps a cancel's reason as the release's note would: NUL dropped, cut to the note limit", async () => {
    // Postgres text refuses NUL: stored raw, the decision's write would fail and the message retry.
    const env = await withStock({ A: 2 });
    const open = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await env.orchestrator.reserve(open);
    await env.service.orderDecisions.cancel(open.orderId, 'out\u0000 of stock');
    const early = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await env.service.orderDecisions.cancel(early.orderId, `x${'y'.repeat(MOVEMENT_NOTE_MAX_LENGTH)}`);
    expect(env.tables().workflowRequests.at(-1)).toEqual({
      orderId: open.orderId,
      kind: 'cancel',
      reason: 'out of stock',
    });
    expect(env.tables().orderDecisions.get(`${early.orderId}|CANCELLED`)?.reason).toHaveLength(
      MOVEMENT_NOTE_MAX_LENGTH,
    );
  });

  it('keeps a cancel that overtook its reserve, so the reserve is refused and holds nothing', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await expect(env.service.orderDecisions.cancel(cmd.orderId, 'timeout')).resolves.toBe('no-workflow');
    expect([...env.tables().orderDecisions.values()]).toEqual([
      { orderId: cmd.orderId, decision: 'CANCELLED', reason: 'timeout' },
    ]);

    await expect(env.orchestrator.reserve(cmd)).resolves.toMatchObject({
      kind: 'reservation-closed',
      reservation: { status: 'RELEASED', releaseReason: 'cancelled' },
    });
    await expect(env.service.reserve(cmd)).resolves.toMatchObject({ kind: 'reservation-closed' });
    expect(await env.service.getStockLevel('A')).toMatchObject({ reserved: 0, available: 2 });
    // A repeat of the cancel changes nothing.
    await expect(env.service.orderDecisions.cancel(cmd.orderId)).resolves.toBe('no-workflow');
    expect(env.tables().orderDecisions.size).toBe(1);
  });

  it('records a confirm for an order without a reservation for operators, and does nothing else', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await expect(env.service.orderDecisions.confirm(cmd.orderId)).resolves.toBe('no-workflow');
    expect([...env.tables().orderDecisions.values()]).toEqual([
      { orderId: cmd.orderId, decision: 'CONFIRMED' },
    ]);
    await expect(env.orchestrator.reserve(cmd)).resolves.toMatchObject({ kind: 'reserved', created: true });
  });

  it('answers no-workflow for a reservation already settled', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await env.orchestrator.reserve(cmd);
    await env.service.confirm({ orderId: cmd.orderId });
    await expect(env.service.orderDecisions.cancel(cmd.orderId)).resolves.toBe('no-workflow');
    expect(env.tables().workflowRequests.map((r) => r.kind)).toEqual(['start']);
  });
});

/** All of HOT (2) and one of COLD (2) reserved for one order with a 3 s TTL. */
async function hotAndColdOrder() {
  const env = await withStock({ HOT: 2, COLD: 2 });
  const cmd = CommandMother.reserve(
    [
      { sku: 'HOT', quantity: 2 },
      { sku: 'COLD', quantity: 1 },
    ],
    { ttlSeconds: 3 },
  );
  await env.orchestrator.reserve(cmd);
  return { env, cmd };
}

describe('expiry judged on the database (the fault suite found both races)', () => {
  it("an expiry that fires before an extension's delivery releases nothing", async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }], { ttlSeconds: 10 });
    await env.orchestrator.reserve(cmd);
    await env.service.extend({ orderId: cmd.orderId, ttlSeconds: 600 });
    env.clock.advance(11); // the workflow's timer, armed for the old expiry, fires
    await expect(
      env.service.release({ orderId: cmd.orderId, reason: 'expired' }, { onlyIfDue: true }),
    ).resolves.toMatchObject({
      kind: 'released',
      changed: false,
      reservation: { status: 'RESERVED' },
    });
    expect(movementsOf(env, 'RELEASE')).toEqual([]);
    env.clock.advance(600);
    await expect(
      env.service.release({ orderId: cmd.orderId, reason: 'expired' }, { onlyIfDue: true }),
    ).resolves.toMatchObject({
      changed: true,
      reservation: { status: 'RELEASED', releaseReason: 'expired' },
    });
  });

  it('a confirm recorded after the expiry finds it expired: the rest is released, nothing is confirmed', async () => {
    // The fault suite (workflow mode, kill api + worker): the bridge was down when the confirm was
    // published, and recorded it after the expiry, when a reserve had already taken the HOT line.
    const { env, cmd } = await hotAndColdOrder();
    env.clock.advance(4);
    await expect(
      env.orchestrator.reserve(CommandMother.reserve([{ sku: 'HOT', quantity: 1 }])),
    ).resolves.toMatchObject({ kind: 'reserved' });
    env.tables().workflowRequests.length = 0;

    await expect(env.service.orderDecisions.confirm(cmd.orderId)).resolves.toBe('no-workflow');

    expect(env.tables().workflowRequests).toEqual([]);
    expect([...env.tables().orderDecisions.values()]).toEqual([
      { orderId: cmd.orderId, decision: 'CONFIRMED' },
    ]);
    expect(await env.service.getReservation(cmd.orderId)).toMatchObject({
      status: 'RELEASED',
      releaseReason: 'expired',
      lines: [
        { sku: 'COLD', status: 'RELEASED' },
        { sku: 'HOT', status: 'RELEASED' },
      ],
    });
    expect(movementsOf(env, 'RELEASE').map((m) => [m.sku, m.orderId, m.reason])).toEqual([
      ['HOT', cmd.orderId, 'expired'],
      ['COLD', cmd.orderId, 'expired'],
    ]);
    expect(movementsOf(env, 'COMMIT')).toEqual([]);
    // A confirm that reaches the workflow anyway commits nothing.
    await expect(env.service.confirm({ orderId: cmd.orderId })).resolves.toMatchObject({
      kind: 'reservation-released',
    });
    expect(await env.service.getStockLevel('COLD')).toMatchObject({ onHand: 2, reserved: 0 });
  });

  it('a confirm recorded before the expiry wins over it: neither the expiry nor a reserve releases a line', async () => {
    const { env, cmd } = await hotAndColdOrder();
    await env.service.orderDecisions.confirm(cmd.orderId);
    // Delivered to the workflow (the request row is gone), not yet applied by it: a Postgres restart
    // holds its confirm activity in retries (found by the fault suite).
    env.tables().workflowRequests.length = 0;
    env.clock.advance(5);

    await expect(
      env.orchestrator.reserve(CommandMother.reserve([{ sku: 'HOT', quantity: 1 }])),
    ).resolves.toMatchObject({ kind: 'insufficient-stock' });
    await expect(
      env.service.release({ orderId: cmd.orderId, reason: 'expired' }, { onlyIfDue: true }),
    ).resolves.toMatchObject({
      changed: false,
    });
    // The workflow applies the confirm: the whole order, no line lost to the expiry.
    await expect(env.service.confirm({ orderId: cmd.orderId })).resolves.toMatchObject({
      kind: 'confirmed',
      reservation: {
        status: 'CONFIRMED',
        lines: [
          { sku: 'COLD', status: 'CONFIRMED' },
          { sku: 'HOT', status: 'CONFIRMED' },
        ],
      },
    });
    expect(movementsOf(env, 'RELEASE')).toEqual([]);
  });
});

describe('a reserve whose COMMIT lost its answer (the connection dropped after COMMIT went out)', () => {
  const lostAtCommit = Object.assign(new Error('Connection terminated unexpectedly'), {
    outcomeUnknown: true,
  });

  /** The first unit of work runs (and commits, or not) and then loses its answer; later ones are normal. */
  function flaky(env: ReturnType<typeof inMemoryInventory>, commits: boolean, downFor = 0) {
    let calls = 0;
    return new DirectReservationOrchestrator({
      withInventory: async (work) => {
        calls += 1;
        if (calls === 1) {
          if (commits) await work(env.service);
          throw lostAtCommit;
        }
        if (calls - 1 <= downFor) throw new Error('connect ECONNREFUSED');
        return work(env.service);
      },
      sleep: async () => undefined,
    });
  }

  it('answers reserved when the read-back finds the lines, once Postgres answers again', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await expect(flaky(env, true, 3).reserve(cmd)).resolves.toMatchObject({
      kind: 'reserved',
      reservation: { orderId: cmd.orderId, status: 'RESERVED' },
    });
    expect(env.tables().movements.filter((m) => m.type === 'RESERVE')).toHaveLength(1);
  });

  it('answers a transient error (503) when the read-back finds nothing: it did not commit', async () => {
    const env = await withStock({ A: 2 });
    const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
    await expect(flaky(env, false).reserve(cmd)).rejects.toMatchObject({
      name: 'ReserveNotCommittedError',
      transient: true,
    });
    expect(await env.service.getReservation(cmd.orderId)).toBeNull();
  });

  it('reads a release back too: a line no longer reserved is answered, one still held is a 503', async () => {
    for (const commits of [true, false]) {
      const env = await withStock({ A: 2 });
      const cmd = CommandMother.reserve([{ sku: 'A', quantity: 1 }]);
      await env.service.reserve(cmd);
      const release = flaky(env, commits, 2).release({ orderId: cmd.orderId, sku: 'A', reason: 'released' });
      if (commits) {
        await expect(release).resolves.toMatchObject({
          kind: 'released',
          changed: false,
          reservation: { orderId: cmd.orderId, status: 'RELEASED' },
        });
      } else {
        await expect(release).rejects.toMatchObject({ name: 'ReleaseNotCommittedError', transient: true });
      }
      expect(env.tables().movements.filter((m) => m.type === 'RELEASE')).toHaveLength(commits ? 1 : 0);
      expect(await env.service.getReservation(cmd.orderId)).toMatchObject({
        status: commits ? 'RELEASED' : 'RESERVED',
      });
    }
  });

  it('answers a transient error when Postgres stays away past the deadline', async () => {
    const env = await withStock({ A: 2 });
    const cmd = {
      ...CommandMother.reserve([{ sku: 'A', quantity: 1 }]),
      deadline: new Date(Date.now() - 1).toISOString(),
    };
    await expect(flaky(env, false, 1_000).reserve(cmd)).rejects.toMatchObject({ transient: true });
  });
});
