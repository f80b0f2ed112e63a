import { ErrorCodes } from '../../../src/domain/errors';
import { StockCount } from '../../../src/domain/StockCount';
import { inMemoryInventory } from '../../support/fakes';

describe('SetStockLevels', () => {
  it('creates a SKU (upper-cased) with an ADJUST of its on hand', async () => {
    const { service, tables, clock } = inMemoryInventory();
    const outcome = await service.setLevels({
      sku: 'new-sku',
      onHand: 7,
      safetyStock: 2,
      reorderQuantity: 10,
    });
    expect(outcome).toEqual({
      kind: 'created',
      level: {
        sku: 'NEW-SKU',
        onHand: 7,
        reserved: 0,
        available: 7,
        safetyStock: 2,
        reorderQuantity: 10,
        updatedAt: clock.now().toISOString(),
        version: 0,
        openPurchaseOrder: null,
      },
    });
    expect(tables().movements).toEqual([
      expect.objectContaining({ sku: 'NEW-SKU', type: 'ADJUST', quantity: 7, reason: 'created' }),
    ]);
  });

  it('updates levels with a signed ADJUST, keeping settings not given', async () => {
    const { service, tables } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 7, safetyStock: 2 });
    const outcome = await service.setLevels({ sku: 'A', onHand: 4 });
    expect(outcome).toMatchObject({ kind: 'updated', level: { onHand: 4, safetyStock: 2 } });
    expect(tables().movements.at(-1)).toMatchObject({ type: 'ADJUST', quantity: -3, onHandAfter: 4 });
  });

  it('refuses on hand below reserved as a value', async () => {
    const { service, tables } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 7 });
    await service.reserve({ orderId: 'o', lines: [{ sku: 'A', quantity: 5 }] });
    const movements = tables().movements.length;
    expect(await service.setLevels({ sku: 'A', onHand: 4 })).toEqual({ kind: 'below-reserved', reserved: 5 });
    expect(tables().movements).toHaveLength(movements);
    expect(await service.setLevels({ sku: 'A', onHand: 5 })).toMatchObject({
      kind: 'updated',
      level: { available: 0 },
    });
  });

  it.each([
    [{ sku: 'A', onHand: -1 }, ErrorCodes.INVALID_STOCK_LEVEL],
    [{ sku: 'A', onHand: 1.5 }, ErrorCodes.INVALID_STOCK_LEVEL],
    [{ sku: 'A', onHand: 1, safetyStock: -1 }, ErrorCodes.INVALID_STOCK_LEVEL],
    [{ sku: 'A', onHand: 1, reorderQuantity: 0.5 }, ErrorCodes.INVALID_STOCK_LEVEL],
    [{ sku: '', onHand: 1 }, ErrorCodes.INVALID_SKU],
  ])('validates %p', async (cmd, code) => {
    const { service, unitOfWork } = inMemoryInventory();
    await expect(service.setLevels(cmd)).rejects.toMatchObject({ code });
    expect(unitOfWork.commits + unitOfWork.rollbacks).toBe(0);
  });
});

describe('ReplenishStock', () => {
  it('adds units with a REPLENISH movement and a StockReplenished event', async () => {
    const { service, tables } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 2 });
    await service.reserve({ orderId: 'o', lines: [{ sku: 'A', quantity: 1 }] });
    tables().outbox.length = 0;
    const outcome = await service.replenish({ sku: 'a', quantity: 5, reference: 'PO-1' });
    expect(outcome).toMatchObject({ kind: 'replenished', level: { onHand: 7, reserved: 1, available: 6 } });
    expect(tables().movements.at(-1)).toMatchObject({ type: 'REPLENISH', quantity: 5, reference: 'PO-1' });
    expect(tables().outbox).toEqual([
      expect.objectContaining({
        type: 'StockReplenished',
        partitionKey: 'A',
        data: { sku: 'A', quantity: 5, onHand: 7, available: 6, reference: 'PO-1' },
      }),
    ]);
  });

  it('answers not-found for an unknown SKU', async () => {
    const { service } = inMemoryInventory();
    expect(await service.replenish({ sku: 'NOPE', quantity: 1 })).toEqual({ kind: 'not-found' });
  });

  it('never raises on hand above the limit PUT enforces: refused as a value, nothing changes', async () => {
    // The published limit (README, OpenAPI): the same number PUT accepts at most.
    expect(StockCount.MAX).toBe(1_000_000_000);
    const { service, tables, unitOfWork } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: StockCount.MAX - 5 });
    const before = { movements: tables().movements.length, outbox: tables().outbox.length };
    const commits = unitOfWork.commits;

    expect(await service.replenish({ sku: 'A', quantity: 6 })).toEqual({
      kind: 'on-hand-limit',
      onHand: StockCount.MAX - 5,
      max: StockCount.MAX,
    });
    expect(await service.getStockLevel('A')).toMatchObject({ onHand: StockCount.MAX - 5 });
    expect(tables().movements).toHaveLength(before.movements);
    expect(tables().outbox).toHaveLength(before.outbox);
    expect(unitOfWork.commits - commits).toBeLessThanOrEqual(1);

    expect(await service.replenish({ sku: 'A', quantity: 5 })).toMatchObject({
      kind: 'replenished',
      level: { onHand: StockCount.MAX },
    });
    // A PUT that keeps on hand where replenish left it is within the limit.
    expect(await service.setLevels({ sku: 'A', onHand: StockCount.MAX, safetyStock: 1 })).toMatchObject({
      kind: 'updated',
      level: { onHand: StockCount.MAX, safetyStock: 1 },
    });
    await expect(service.setLevels({ sku: 'A', onHand: StockCount.MAX + 1 })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_STOCK_LEVEL,
    });
  });

  it('validates quantity and reference', async () => {
    const { service } = inMemoryInventory();
    await expect(service.replenish({ sku: 'A', quantity: 0 })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_QUANTITY,
    });
    await expect(service.replenish({ sku: 'A', quantity: 1, reference: '' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_REFERENCE,
    });
    await expect(
      service.replenish({ sku: 'A', quantity: 1, reference: 'x'.repeat(201) }),
    ).rejects.toMatchObject({ code: ErrorCodes.INVALID_REFERENCE });
  });

  it.each([
    ['a NUL character', 'GR-\u0000'],
    ['a lone high surrogate', 'GR-\ud83d'],
    ['a lone low surrogate', '\ude00-GR'],
  ])('refuses a reference with %s (it cannot be stored as given)', async (_what, reference) => {
    const { service } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 1 });
    await expect(service.replenish({ sku: 'A', quantity: 1, reference })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_REFERENCE,
    });
  });

  it('keeps a reference with characters outside the BMP', async () => {
    const { service } = inMemoryInventory();
    await service.setLevels({ sku: 'A', onHand: 1 });
    await expect(service.replenish({ sku: 'A', quantity: 1, reference: 'GR-😀' })).resolves.toMatchObject({
      kind: 'replenished',
    });
  });
});
