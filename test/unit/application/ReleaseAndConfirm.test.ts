import { ErrorCodes } from '../../../src/domain/errors';
import { MOVEMENT_NOTE_MAX_LENGTH } from '../../../src/domain/limits';
import { inMemoryInventory } from '../../support/fakes';

async function reservedOrder() {
  const env = inMemoryInventory();
  await env.service.setLevels({ sku: 'A', onHand: 10 });
  await env.service.setLevels({ sku: 'B', onHand: 10 });
  await env.service.reserve({
    orderId: 'o-1',
    lines: [
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 3 },
    ],
  });
  env.tables().outbox.length = 0;
  env.clock.advance(10);
  return env;
}

describe('ReleaseReservation', () => {
  it("refuses a release past its caller's deadline, before it starts and inside its transaction", async () => {
    const { service, tables, clock } = await reservedOrder();
    const past = new Date(clock.now().getTime() - 1);
    const before = await service
      .release({ orderId: 'o-1', reason: 'released' }, { deadline: past })
      .catch((e: unknown) => e);
    expect(before).toMatchObject({ code: ErrorCodes.DEADLINE_EXCEEDED });

    // The deadline passes while the transaction runs: it rolls back.
    const deadline = new Date(clock.now().getTime() + 1_000);
    const started = clock.now();
    let calls = 0;
    jest
      .spyOn(clock, 'now')
      .mockImplementation(() => (calls++ === 0 ? started : new Date(deadline.getTime() + 1)));
    const during = await service
      .release({ orderId: 'o-1', reason: 'released' }, { deadline })
      .catch((e: unknown) => e);
    expect(during).toMatchObject({ code: ErrorCodes.DEADLINE_EXCEEDED });
    jest.restoreAllMocks();

    expect(await service.getReservation('o-1')).toMatchObject({ status: 'RESERVED' });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 2 });
    expect(tables().movements.filter((m) => m.type === 'RELEASE')).toEqual([]);
    expect(tables().outbox).toEqual([]);
  });

  it('releases every reserved line with the reason, with movements and StockReleased events', async () => {
    const { service, tables, clock } = await reservedOrder();
    const outcome = await service.release({ orderId: 'o-1', reason: 'cancelled' });
    expect(outcome).toMatchObject({
      kind: 'released',
      changed: true,
      reservation: {
        status: 'RELEASED',
        releaseReason: 'cancelled',
        updatedAt: clock.now().toISOString(),
        lines: [
          { sku: 'A', status: 'RELEASED' },
          { sku: 'B', status: 'RELEASED' },
        ],
      },
    });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await service.getStockLevel('B')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(tables().outbox.map((m) => [m.type, m.data])).toEqual([
      ['StockReleased', { orderId: 'o-1', sku: 'A', quantity: 2, available: 10, reason: 'cancelled' }],
      ['StockReleased', { orderId: 'o-1', sku: 'B', quantity: 3, available: 10, reason: 'cancelled' }],
    ]);
    expect(
      tables()
        .movements.filter((m) => m.type === 'RELEASE')
        .map((m) => m.reason),
    ).toEqual(['cancelled', 'cancelled']);
  });

  it("keeps the note (order-service's cancel reason) on the RELEASE movements and the StockReleased events", async () => {
    const { service, tables } = await reservedOrder();
    await service.release({ orderId: 'o-1', reason: 'cancelled', note: 'payment declined' });
    expect(tables().outbox.map((m) => (m.data as { note?: string }).note)).toEqual([
      'payment declined',
      'payment declined',
    ]);
    expect(
      tables()
        .movements.filter((m) => m.type === 'RELEASE')
        .map((m) => [m.reason, m.note]),
    ).toEqual([
      ['cancelled', 'payment declined'],
      ['cancelled', 'payment declined'],
    ]);
  });

  it('bounds the note rather than failing the release: cut to the limit, unstorable characters dropped', async () => {
    const notes = async (note: string) => {
      const { service, tables } = await reservedOrder();
      const outcome = await service.release({ orderId: 'o-1', sku: 'A', reason: 'cancelled', note });
      expect(outcome).toMatchObject({ kind: 'released', changed: true });
      const event = tables().outbox[0]!.data as Record<string, unknown>;
      return { movement: tables().movements.find((m) => m.type === 'RELEASE')!.note, event };
    };

    const long = await notes('x'.repeat(MOVEMENT_NOTE_MAX_LENGTH + 50));
    expect(long.movement).toBe('x'.repeat(MOVEMENT_NOTE_MAX_LENGTH));
    expect(long.event.note).toBe(long.movement);
    // A cut through a surrogate pair leaves half of it: dropped with the NUL and the lone surrogate.
    const cut = await notes('y'.repeat(MOVEMENT_NOTE_MAX_LENGTH - 1) + '😀');
    expect(cut.movement).toBe('y'.repeat(MOVEMENT_NOTE_MAX_LENGTH - 1));
    expect((await notes('a\u0000b\uD800c')).movement).toBe('abc');
    const empty = await notes('\u0000');
    expect(empty.movement).toBeNull();
    expect(empty.event).not.toHaveProperty('note');
  });

  it('is idempotent: a repeat changes nothing', async () => {
    const { service, tables } = await reservedOrder();
    await service.release({ orderId: 'o-1', reason: 'expired' });
    const movements = tables().movements.length;
    const repeat = await service.release({ orderId: 'o-1', reason: 'cancelled' });
    expect(repeat).toMatchObject({
      kind: 'released',
      changed: false,
      reservation: { releaseReason: 'expired' },
    });
    expect(tables().movements).toHaveLength(movements);
    expect(tables().outbox).toHaveLength(2);
  });

  it('releases one SKU line; the reservation closes with the last line', async () => {
    const { service } = await reservedOrder();
    const first = await service.release({ orderId: 'o-1', sku: 'a', reason: 'released' });
    expect(first).toMatchObject({
      changed: true,
      reservation: {
        status: 'RESERVED',
        lines: [
          { sku: 'A', status: 'RELEASED' },
          { sku: 'B', status: 'RESERVED' },
        ],
      },
    });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 0 });
    expect(await service.getStockLevel('B')).toMatchObject({ reserved: 3 });

    expect(await service.release({ orderId: 'o-1', sku: 'A', reason: 'released' })).toMatchObject({
      changed: false,
    });
    const last = await service.release({ orderId: 'o-1', sku: 'B', reason: 'expired' });
    expect(last).toMatchObject({
      changed: true,
      reservation: { status: 'RELEASED', releaseReason: 'expired' },
    });
  });

  it('is a no-op on a confirmed reservation', async () => {
    const { service } = await reservedOrder();
    await service.confirm({ orderId: 'o-1' });
    expect(await service.release({ orderId: 'o-1', reason: 'cancelled' })).toMatchObject({
      kind: 'released',
      changed: false,
      reservation: { status: 'CONFIRMED' },
    });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 8, reserved: 0 });
  });

  it('answers not-found and line-not-found', async () => {
    const { service } = await reservedOrder();
    expect(await service.release({ orderId: 'o-none', reason: 'cancelled' })).toEqual({ kind: 'not-found' });
    expect(await service.release({ orderId: 'o-1', sku: 'Z', reason: 'cancelled' })).toEqual({
      kind: 'line-not-found',
    });
  });

  it('validates the order id, SKU and reason', async () => {
    const { service } = await reservedOrder();
    await expect(service.release({ orderId: '', reason: 'cancelled' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ORDER_ID,
    });
    await expect(service.release({ orderId: 'o-1', sku: '?', reason: 'cancelled' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_SKU,
    });
    await expect(service.release({ orderId: 'o-1', reason: 'lost' as never })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_RELEASE_REASON,
    });
  });
});

describe('ConfirmReservation', () => {
  it('commits every reserved line: units leave stock, StockCommitted per line', async () => {
    const { service, tables } = await reservedOrder();
    const outcome = await service.confirm({ orderId: 'o-1' });
    expect(outcome).toMatchObject({ kind: 'confirmed', changed: true, reservation: { status: 'CONFIRMED' } });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 8, reserved: 0 });
    expect(await service.getStockLevel('B')).toMatchObject({ onHand: 7, reserved: 0 });
    expect(tables().outbox.map((m) => [m.type, m.data])).toEqual([
      ['StockCommitted', { orderId: 'o-1', sku: 'A', quantity: 2, onHand: 8 }],
      ['StockCommitted', { orderId: 'o-1', sku: 'B', quantity: 3, onHand: 7 }],
    ]);
  });

  it('skips lines released on their own', async () => {
    const { service } = await reservedOrder();
    await service.release({ orderId: 'o-1', sku: 'A', reason: 'released' });
    const outcome = await service.confirm({ orderId: 'o-1' });
    expect(outcome).toMatchObject({
      reservation: {
        lines: [
          { sku: 'A', status: 'RELEASED' },
          { sku: 'B', status: 'CONFIRMED' },
        ],
      },
    });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('is idempotent', async () => {
    const { service, tables } = await reservedOrder();
    await service.confirm({ orderId: 'o-1' });
    const movements = tables().movements.length;
    expect(await service.confirm({ orderId: 'o-1' })).toMatchObject({ kind: 'confirmed', changed: false });
    expect(tables().movements).toHaveLength(movements);
  });

  it('answers reservation-released when the release came first, and not-found', async () => {
    const { service } = await reservedOrder();
    await service.release({ orderId: 'o-1', reason: 'expired' });
    expect(await service.confirm({ orderId: 'o-1' })).toMatchObject({
      kind: 'reservation-released',
      reservation: { status: 'RELEASED', releaseReason: 'expired' },
    });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await service.confirm({ orderId: 'o-none' })).toEqual({ kind: 'not-found' });
  });
});
