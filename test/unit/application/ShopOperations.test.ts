import { inMemoryInventory } from '../../support/fakes';

describe('ReplenishStock: a reference is booked once per SKU', () => {
  it('answers a repeat with the same reference as a no-op with the current level', async () => {
    const { service, tables } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 2 });
    await service.setLevels({ sku: 'B', onHand: 0 });
    const first = await service.replenish({ sku: 'A', quantity: 5, reference: 'GR-1' });
    expect(first).toMatchObject({ kind: 'replenished', level: { onHand: 7 } });
    expect(first).not.toHaveProperty('repeated');
    const movements = tables().movements.length;
    const events = tables().outbox.length;

    const repeat = await service.replenish({ sku: 'a', quantity: 9, reference: 'GR-1' });
    expect(repeat).toMatchObject({ kind: 'replenished', repeated: true, level: { onHand: 7 } });
    expect(tables().movements).toHaveLength(movements);
    expect(tables().outbox).toHaveLength(events);

    // Another SKU, another reference, or none: booked.
    await service.replenish({ sku: 'B', quantity: 1, reference: 'GR-1' });
    await service.replenish({ sku: 'A', quantity: 1, reference: 'GR-2' });
    await service.replenish({ sku: 'A', quantity: 1 });
    await service.replenish({ sku: 'A', quantity: 1 });
    expect(tables().stock.get('A')!.onHand).toBe(10);
    expect(tables().stock.get('B')!.onHand).toBe(1);
  });
});

describe('SetStockLevels: If-Match on the version', () => {
  it('writes while the version holds, refuses with the current level once it moved', async () => {
    const { service, tables } = inMemoryInventory();
    const created = await service.setLevels({ sku: 'A', onHand: 5 });
    expect(created).toMatchObject({ kind: 'created', level: { version: 0 } });
    const updated = await service.setLevels({ sku: 'A', onHand: 6, ifMatch: [0] });
    expect(updated).toMatchObject({ kind: 'updated', level: { onHand: 6, version: 1 } });
    expect(tables().stock.get('A')!.version).toBe(1);

    const stale = await service.setLevels({ sku: 'A', onHand: 7, ifMatch: [0] });
    expect(stale).toMatchObject({ kind: 'precondition-failed', level: { onHand: 6, version: 1 } });
    expect(await service.setLevels({ sku: 'A', onHand: 7, ifMatch: [] })).toMatchObject({
      kind: 'precondition-failed',
    });
    expect(tables().stock.get('A')!.onHand).toBe(6);
    expect(await service.setLevels({ sku: 'A', onHand: 7, ifMatch: '*' })).toMatchObject({ kind: 'updated' });
  });

  it('does not create a SKU under If-Match', async () => {
    const { service, tables } = inMemoryInventory();
    expect(await service.setLevels({ sku: 'NEW', onHand: 1, ifMatch: '*' })).toEqual({
      kind: 'precondition-failed',
      level: null,
    });
    expect(tables().stock.size).toBe(0);
  });
});

describe('AdjustStock', () => {
  async function withStock(onHand: number, reserved = 0, safetyStock = 0) {
    const env = inMemoryInventory();
    await env.service.setLevels({ sku: 'A', onHand, safetyStock, reorderQuantity: 10 });
    if (reserved > 0) {
      await env.service.reserve({ orderId: 'o-1', lines: [{ sku: 'A', quantity: reserved }] });
    }
    return env;
  }

  it('records one ADJUST with reason, reference and note, and a StockAdjusted event', async () => {
    const { service, tables, clock } = await withStock(10, 3);
    const outcome = await service.adjust({
      sku: 'a',
      delta: -2,
      reason: 'damaged',
      reference: 'DMG-1',
      note: 'dropped',
    });
    expect(outcome).toMatchObject({ kind: 'adjusted', level: { onHand: 8, reserved: 3, available: 5 } });
    expect(tables().movements.at(-1)).toEqual(
      expect.objectContaining({
        type: 'ADJUST',
        quantity: -2,
        reason: 'damaged',
        reference: 'DMG-1',
        note: 'dropped',
        onHandAfter: 8,
        reservedAfter: 3,
        occurredAt: clock.now(),
      }),
    );
    expect(tables().outbox.at(-1)).toMatchObject({
      type: 'StockAdjusted',
      partitionKey: 'A',
      data: {
        sku: 'A',
        delta: -2,
        onHand: 8,
        reserved: 3,
        available: 5,
        reason: 'damaged',
        reference: 'DMG-1',
      },
    });
  });

  it('turns a counted onHand into its delta, and keeps a count that confirms the stock', async () => {
    const { service, tables } = await withStock(10);
    await service.adjust({ sku: 'A', onHand: 13, reason: 'cycle-count' });
    expect(tables().movements.at(-1)).toMatchObject({ quantity: 3, reason: 'cycle-count', onHandAfter: 13 });
    await service.adjust({ sku: 'A', onHand: 13, reason: 'cycle-count' });
    expect(tables().movements.at(-1)).toMatchObject({ quantity: 0, onHandAfter: 13 });
    expect(tables().outbox.filter((m) => m.type === 'StockAdjusted')).toHaveLength(2);
  });

  it('refuses to take on hand below reserved, changing nothing', async () => {
    const { service, tables } = await withStock(10, 6);
    const movements = tables().movements.length;
    expect(await service.adjust({ sku: 'A', delta: -5, reason: 'shrinkage' })).toEqual({
      kind: 'below-reserved',
      onHand: 5,
      reserved: 6,
    });
    expect(await service.adjust({ sku: 'A', onHand: 5, reason: 'cycle-count' })).toMatchObject({
      kind: 'below-reserved',
    });
    expect(tables().movements).toHaveLength(movements);
    expect(tables().stock.get('A')!.onHand).toBe(10);
  });

  it('answers not-found, honours If-Match, and rejects bad input', async () => {
    const { service } = await withStock(1);
    expect(await service.adjust({ sku: 'NOPE', delta: 1, reason: 'received' })).toEqual({
      kind: 'not-found',
    });
    expect(await service.adjust({ sku: 'A', delta: 1, reason: 'received', ifMatch: [5] })).toMatchObject({
      kind: 'precondition-failed',
      level: { onHand: 1, version: 0 },
    });
    expect(await service.adjust({ sku: 'A', delta: 1, reason: 'received', ifMatch: [0] })).toMatchObject({
      kind: 'adjusted',
      level: { version: 1 },
    });
    for (const bad of [
      { sku: 'A', delta: 1, reason: 'stolen' },
      { sku: 'A', reason: 'damaged' },
      { sku: 'A', delta: 1, onHand: 1, reason: 'damaged' },
      { sku: 'A', delta: 1.5, reason: 'damaged' },
      { sku: 'A', delta: 1, reason: 'damaged', note: '' },
      { sku: 'A', delta: 1, reason: 'damaged', note: 'nul\u0000' },
    ]) {
      await expect(service.adjust(bad as never)).rejects.toMatchObject({ name: 'ValidationError' });
    }
  });

  it('opens a purchase-order request below safety stock, and closes it once back above', async () => {
    const { service, tables } = await withStock(10, 0, 5);
    await service.adjust({ sku: 'A', delta: -7, reason: 'shrinkage' });
    expect(tables().outbox.map((m) => m.type)).toContain('PurchaseOrderRequested');
    expect((await service.getStockLevel('A'))?.openPurchaseOrder).not.toBeNull();
    await service.adjust({ sku: 'A', delta: 10, reason: 'returned' });
    expect((await service.getStockLevel('A'))?.openPurchaseOrder).toBeNull();
  });
});

describe('ListMovements filters', () => {
  it('lists only the type and reason asked, paging on the last id', async () => {
    const { service } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 10 });
    await service.adjust({ sku: 'A', delta: -1, reason: 'damaged' });
    await service.replenish({ sku: 'A', quantity: 2 });
    await service.adjust({ sku: 'A', delta: -1, reason: 'shrinkage' });
    await service.adjust({ sku: 'A', delta: -1, reason: 'damaged' });
    const damaged = await service.listMovements({ sku: 'A', reason: 'damaged', limit: 1 });
    expect(damaged?.items).toEqual([expect.objectContaining({ reason: 'damaged', onHandAfter: 9 })]);
    const next = await service.listMovements({ sku: 'A', reason: 'damaged', cursor: damaged!.nextCursor! });
    expect(next?.items).toEqual([expect.objectContaining({ reason: 'damaged', onHandAfter: 9 })]);
    expect(next?.items[0]?.id).not.toBe(damaged?.items[0]?.id);
    expect(next?.nextCursor).toBeNull();
    const adjusts = await service.listMovements({ sku: 'A', type: 'ADJUST' });
    expect(adjusts?.items.map((m) => m.reason)).toEqual(['damaged', 'shrinkage', 'damaged', 'created']);
    await expect(service.listMovements({ sku: 'A', type: 'MOVE' as never })).rejects.toMatchObject({
      code: 'INVENTORY.INVALID_MOVEMENT_FILTER',
    });
  });
});

describe('ExtendReservation', () => {
  async function reserved(maxAge?: number) {
    const env = inMemoryInventory(maxAge !== undefined ? { reservationMaxAgeSeconds: maxAge } : {});
    await env.service.setLevels({ sku: 'A', onHand: 5 });
    await env.service.reserve({ orderId: 'o-1', lines: [{ sku: 'A', quantity: 2 }], ttlSeconds: 60 });
    return env;
  }
  const at = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000).toISOString();

  it('moves the expiry to ttlSeconds from now, never earlier, and changes no stock', async () => {
    const { service, clock, tables } = await reserved();
    const created = clock.now();
    clock.advance(30);
    const movements = tables().movements.length;
    const outcome = await service.extend({ orderId: 'o-1', ttlSeconds: 600 });
    expect(outcome).toMatchObject({
      kind: 'extended',
      changed: true,
      reservation: { expiresAt: at(created, 630) },
    });
    expect(tables().reservations.get('o-1')!.expiresAt.toISOString()).toBe(at(created, 630));
    // A shorter extension leaves it where it is.
    expect(await service.extend({ orderId: 'o-1', ttlSeconds: 10 })).toMatchObject({
      kind: 'extended',
      changed: false,
      reservation: { expiresAt: at(created, 630) },
    });
    expect(tables().movements).toHaveLength(movements);
    expect(tables().stock.get('A')!.reserved).toBe(2);
  });

  it('caps the expiry at the maximum age after creation', async () => {
    const { service, clock } = await reserved(300);
    const created = clock.now();
    clock.advance(50);
    expect(await service.extend({ orderId: 'o-1', ttlSeconds: 3600 })).toMatchObject({
      reservation: { expiresAt: at(created, 300) },
    });
  });

  it('answers not-found, and reservation-closed once released, confirmed or expired', async () => {
    const { service, clock } = await reserved();
    expect(await service.extend({ orderId: 'nope', ttlSeconds: 60 })).toEqual({ kind: 'not-found' });
    clock.advance(61);
    expect(await service.extend({ orderId: 'o-1', ttlSeconds: 60 })).toMatchObject({
      kind: 'reservation-closed',
      reservation: { status: 'RESERVED' },
    });
    const other = await reserved();
    await other.service.confirm({ orderId: 'o-1' });
    expect(await other.service.extend({ orderId: 'o-1', ttlSeconds: 60 })).toMatchObject({
      kind: 'reservation-closed',
      reservation: { status: 'CONFIRMED' },
    });
    await expect(other.service.extend({ orderId: 'o-1', ttlSeconds: 0 })).rejects.toMatchObject({
      code: 'INVENTORY.INVALID_TTL',
    });
  });
});
