import { ErrorCodes, ValidationError } from '../../../src/domain/errors';
import { inMemoryInventory } from '../../support/fakes';
import { CommandMother } from '../../support/mothers/CommandMother';

async function withStock(levels: Record<string, number>, options: { defaultTtlSeconds?: number } = {}) {
  const env = inMemoryInventory(options);
  for (const [sku, onHand] of Object.entries(levels)) await env.service.setLevels({ sku, onHand });
  env.tables().outbox.length = 0;
  return env;
}

describe('ReserveStock', () => {
  it('reserves every line in one transaction, with movements and one StockReserved per line', async () => {
    const { service, tables, clock, unitOfWork } = await withStock({ A: 5, B: 3 });
    const commitsBefore = unitOfWork.commits;
    const cmd = CommandMother.reserve(
      [
        { sku: 'a', quantity: 2 },
        { sku: 'B', quantity: 3 },
      ],
      { ttlSeconds: 60 },
    );

    const outcome = await service.reserve(cmd);

    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    expect(outcome).toEqual({
      kind: 'reserved',
      created: true,
      reservation: {
        orderId: cmd.orderId,
        status: 'RESERVED',
        lines: [
          { sku: 'A', quantity: 2, status: 'RESERVED' },
          { sku: 'B', quantity: 3, status: 'RESERVED' },
        ],
        expiresAt,
        createdAt: clock.now().toISOString(),
        updatedAt: clock.now().toISOString(),
      },
    });
    expect(unitOfWork.commits).toBe(commitsBefore + 1);
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect(await service.getStockLevel('B')).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    expect(tables().movements.filter((m) => m.type === 'RESERVE')).toHaveLength(2);
    expect(tables().outbox).toEqual([
      expect.objectContaining({
        type: 'StockReserved',
        partitionKey: 'A',
        data: { orderId: cmd.orderId, sku: 'A', quantity: 2, available: 3, expiresAt },
      }),
      expect.objectContaining({
        type: 'StockReserved',
        partitionKey: 'B',
        data: { orderId: cmd.orderId, sku: 'B', quantity: 3, available: 0, expiresAt },
      }),
      // B's available reached 0 in the same transaction.
      expect.objectContaining({
        type: 'StockDepleted',
        partitionKey: 'B',
        data: { sku: 'B', onHand: 3, reserved: 3, available: 0 },
      }),
    ]);
    expect(new Set(tables().outbox.map((m) => m.eventId)).size).toBe(3);
  });

  it('defaults the TTL to 900 s, or to the configured default', async () => {
    const a = await withStock({ A: 5 });
    const r1 = await a.service.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]));
    expect(r1.kind === 'reserved' && Date.parse(r1.reservation.expiresAt) - a.clock.now().getTime()).toBe(
      900_000,
    );

    const b = await withStock({ A: 5 }, { defaultTtlSeconds: 120 });
    const r2 = await b.service.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]));
    expect(r2.kind === 'reserved' && Date.parse(r2.reservation.expiresAt) - b.clock.now().getTime()).toBe(
      120_000,
    );
  });

  it('is all-or-nothing: lists every short line and changes nothing', async () => {
    const { service, tables } = await withStock({ A: 5, B: 1, C: 0 });
    const before = tables().movements.length;
    const outcome = await service.reserve(
      CommandMother.reserve([
        { sku: 'A', quantity: 5 },
        { sku: 'B', quantity: 2 },
        { sku: 'C', quantity: 1 },
      ]),
    );
    expect(outcome).toEqual({
      kind: 'insufficient-stock',
      lines: [
        { sku: 'B', requested: 2, available: 1 },
        { sku: 'C', requested: 1, available: 0 },
      ],
    });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 0 });
    expect(tables().movements).toHaveLength(before);
    expect(tables().outbox).toHaveLength(0);
    expect(tables().reservations.size).toBe(0);
  });

  it('lists every unknown SKU and changes nothing', async () => {
    const { service, tables } = await withStock({ A: 5 });
    const outcome = await service.reserve(
      CommandMother.reserve([
        { sku: 'NOPE-1', quantity: 1 },
        { sku: 'A', quantity: 1 },
        { sku: 'nope-2', quantity: 1 },
      ]),
    );
    expect(outcome).toEqual({ kind: 'unknown-sku', skus: ['NOPE-1', 'NOPE-2'] });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 0 });
    expect(tables().reservations.size).toBe(0);
  });

  it('answers an identical repeat with created=false and no second movement', async () => {
    const { service, tables } = await withStock({ A: 5, B: 5 });
    const cmd = CommandMother.reserve([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    const first = await service.reserve(cmd);
    const movements = tables().movements.length;
    const repeat = await service.reserve({ ...cmd, lines: [...cmd.lines].reverse() });
    expect(repeat).toEqual({ ...first, created: false });
    expect(tables().movements).toHaveLength(movements);
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 2 });
  });

  it('reports a repeat with a different quantity as a conflict, naming each line', async () => {
    const { service } = await withStock({ A: 5, B: 5 });
    const cmd = CommandMother.reserve([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 1 },
    ]);
    await service.reserve(cmd);
    const outcome = await service.reserve({
      ...cmd,
      lines: [
        { sku: 'A', quantity: 3 },
        { sku: 'B', quantity: 4 },
      ],
    });
    expect(outcome).toEqual({
      kind: 'quantity-conflict',
      lines: [
        { sku: 'A', reserved: 2, requested: 3 },
        { sku: 'B', reserved: 1, requested: 4 },
      ],
    });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 2 });
  });

  it('lets another SKU join the order, keeping the first expiry', async () => {
    const { service, clock, tables } = await withStock({ A: 5, B: 5 });
    const first = await service.reserve(
      CommandMother.reserve([{ sku: 'A', quantity: 1 }], { orderId: 'o-join', ttlSeconds: 60 }),
    );
    clock.advance(30);
    const joined = await service.reserve({
      orderId: 'o-join',
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 2 },
      ],
      ttlSeconds: 600,
    });
    expect(joined).toMatchObject({
      kind: 'reserved',
      created: true,
      reservation: {
        lines: [
          { sku: 'A', quantity: 1, status: 'RESERVED' },
          { sku: 'B', quantity: 2, status: 'RESERVED' },
        ],
        expiresAt: first.kind === 'reserved' ? first.reservation.expiresAt : 'unreachable',
        updatedAt: clock.now().toISOString(),
      },
    });
    // Only the joining line moved stock.
    expect(
      tables()
        .outbox.filter((m) => m.type === 'StockReserved')
        .map((m) => m.partitionKey),
    ).toEqual(['A', 'B']);
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 1 });
  });

  it('answers reservation-closed once the order was confirmed or released', async () => {
    const { service } = await withStock({ A: 5 });
    await service.reserve({ orderId: 'o-confirmed', lines: [{ sku: 'A', quantity: 1 }] });
    await service.confirm({ orderId: 'o-confirmed' });
    await service.reserve({ orderId: 'o-released', lines: [{ sku: 'A', quantity: 1 }] });
    await service.release({ orderId: 'o-released', reason: 'cancelled' });

    for (const orderId of ['o-confirmed', 'o-released']) {
      const outcome = await service.reserve({ orderId, lines: [{ sku: 'A', quantity: 1 }] });
      expect(outcome).toMatchObject({ kind: 'reservation-closed', reservation: { orderId } });
    }
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it('does not bring back a line released on its own', async () => {
    const { service } = await withStock({ A: 5, B: 5 });
    await service.reserve({
      orderId: 'o-part',
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 1 },
      ],
    });
    await service.release({ orderId: 'o-part', sku: 'A', reason: 'released' });
    const outcome = await service.reserve({ orderId: 'o-part', lines: [{ sku: 'A', quantity: 1 }] });
    expect(outcome).toMatchObject({ kind: 'reservation-closed', reservation: { status: 'RESERVED' } });
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 0 });
  });

  it('locks the stock rows in sorted order whatever the line order', async () => {
    const { service, unitOfWork } = await withStock({ A: 5, B: 5, C: 5 });
    await service.reserve(
      CommandMother.reserve([
        { sku: 'C', quantity: 1 },
        { sku: 'A', quantity: 1 },
        { sku: 'B', quantity: 1 },
      ]),
    );
    expect(unitOfWork.inventoryRepositories.at(-1)!.locked).toEqual([['A', 'B', 'C']]);
  });

  it('writes nothing when the transaction fails after the decision', async () => {
    const { service, unitOfWork, tables } = await withStock({ A: 5 });
    unitOfWork.beforeNextCommit(() => {
      throw new Error('connection lost');
    });
    await expect(service.reserve(CommandMother.reserve([{ sku: 'A', quantity: 1 }]))).rejects.toThrow(
      'connection lost',
    );
    expect(await service.getStockLevel('A')).toMatchObject({ reserved: 0 });
    expect(tables().outbox).toHaveLength(0);
    expect(tables().movements.filter((m) => m.type === 'RESERVE')).toHaveLength(0);
  });

  it.each([
    ['bad order id', { orderId: 'bad id', lines: [{ sku: 'A', quantity: 1 }] }, ErrorCodes.INVALID_ORDER_ID],
    ['no lines', { orderId: 'o', lines: [] }, ErrorCodes.INVALID_LINES],
    ['lines not an array', { orderId: 'o', lines: 'A' }, ErrorCodes.INVALID_LINES],
    [
      'duplicate SKU (case-insensitive)',
      {
        orderId: 'o',
        lines: [
          { sku: 'a', quantity: 1 },
          { sku: 'A', quantity: 2 },
        ],
      },
      ErrorCodes.INVALID_LINES,
    ],
    ['bad SKU', { orderId: 'o', lines: [{ sku: '-A', quantity: 1 }] }, ErrorCodes.INVALID_SKU],
    ['zero quantity', { orderId: 'o', lines: [{ sku: 'A', quantity: 0 }] }, ErrorCodes.INVALID_QUANTITY],
    [
      'too large quantity',
      { orderId: 'o', lines: [{ sku: 'A', quantity: 1_000_001 }] },
      ErrorCodes.INVALID_QUANTITY,
    ],
    ['ttl 0', { orderId: 'o', lines: [{ sku: 'A', quantity: 1 }], ttlSeconds: 0 }, ErrorCodes.INVALID_TTL],
    [
      'ttl above a day',
      { orderId: 'o', lines: [{ sku: 'A', quantity: 1 }], ttlSeconds: 86_401 },
      ErrorCodes.INVALID_TTL,
    ],
  ])('throws ValidationError for %s, before any transaction', async (_label, cmd, code) => {
    const { service, unitOfWork } = await withStock({ A: 5 });
    const commits = unitOfWork.commits;
    const rejection = service.reserve(cmd as never);
    await expect(rejection).rejects.toBeInstanceOf(ValidationError);
    await expect(rejection).rejects.toMatchObject({ code });
    expect(unitOfWork.commits).toBe(commits);
  });
});
