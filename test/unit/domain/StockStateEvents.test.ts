import { OrderId } from '../../../src/domain/OrderId';
import { ProductInventory } from '../../../src/domain/ProductInventory';
import { Quantity } from '../../../src/domain/Quantity';
import { Sku } from '../../../src/domain/Sku';
import { ProductInventoryMother } from '../../support/mothers/ProductInventoryMother';

const now = new Date('2030-01-01T10:00:00.000Z');
const expiresAt = new Date('2030-01-01T10:15:00.000Z');
const order = OrderId.of('order-1');
const q = (n: number) => Quantity.of(n);
const stateEvents = (inv: ProductInventory) =>
  inv
    .pullEvents()
    .filter((e) => e.type === 'StockDepleted' || e.type === 'StockRestored')
    .map((e) => [e.type, e.data]);

describe('StockDepleted / StockRestored', () => {
  it('a reserve that takes available to 0 depletes; a release above 0 restores; once each', () => {
    const inv = ProductInventoryMother.restored({ sku: 'S-1', onHand: 5 });
    inv.reserve(order, q(2), expiresAt, now);
    expect(stateEvents(inv)).toEqual([]);
    inv.reserve(OrderId.of('order-2'), q(3), expiresAt, now);
    const events = inv.pullEvents();
    expect(events.map((e) => e.type)).toEqual(['StockReserved', 'StockDepleted']);
    expect(events[1]).toEqual({
      type: 'StockDepleted',
      sku: 'S-1',
      occurredAt: now,
      data: { sku: 'S-1', onHand: 5, reserved: 5, available: 0 },
    });
    inv.release(order, q(1), 'cancelled', now);
    expect(stateEvents(inv)).toEqual([
      ['StockRestored', { sku: 'S-1', onHand: 5, reserved: 4, available: 1 }],
    ]);
    inv.release(order, q(1), 'cancelled', now);
    expect(stateEvents(inv)).toEqual([]);
  });

  it('announces the net transition of one transaction (one pull), not each step', () => {
    const inv = ProductInventoryMother.restored({ onHand: 4, reserved: 4 });
    inv.release(order, q(4), 'expired', now);
    inv.reserve(OrderId.of('order-2'), q(4), expiresAt, now);
    expect(inv.pullEvents().map((e) => e.type)).toEqual(['StockReleased', 'StockReserved']);

    const other = ProductInventoryMother.restored({ onHand: 4, reserved: 0 });
    other.reserve(order, q(4), expiresAt, now);
    other.release(order, q(1), 'released', now);
    other.reserve(OrderId.of('order-3'), q(1), expiresAt, now);
    expect(stateEvents(other)).toEqual([['StockDepleted', expect.objectContaining({ available: 0 })]]);
  });

  it('a commit moves on hand and reserved together: no transition', () => {
    const inv = ProductInventoryMother.restored({ onHand: 3, reserved: 3 });
    inv.commit(order, q(3), now);
    expect(stateEvents(inv)).toEqual([]);
    expect(inv.available).toBe(0);
  });

  it('a replenishment from 0 restores', () => {
    const inv = ProductInventoryMother.restored({ sku: 'S-2', onHand: 2, reserved: 2 });
    inv.replenish(q(4), 'GR-1', now);
    const events = inv.pullEvents();
    expect(events.map((e) => e.type)).toEqual(['StockReplenished', 'StockRestored']);
  });

  it('setting levels and adjusting deplete and restore', () => {
    const inv = ProductInventoryMother.restored({ sku: 'S-3', onHand: 4, reserved: 1 });
    inv.setLevels({ onHand: 1 }, now);
    expect(stateEvents(inv)).toEqual([
      ['StockDepleted', { sku: 'S-3', onHand: 1, reserved: 1, available: 0 }],
    ]);
    inv.setLevels({ onHand: 1, safetyStock: 3 }, now);
    expect(stateEvents(inv)).toEqual([]);
    inv.adjust({ delta: 2, reason: 'returned' }, now);
    expect(inv.pullEvents().map((e) => e.type)).toEqual(['StockAdjusted', 'StockRestored']);
    inv.adjust({ onHand: 1, reason: 'shrinkage' }, now);
    expect(inv.pullEvents().map((e) => e.type)).toEqual(['StockAdjusted', 'StockDepleted']);
    inv.adjust({ delta: 0, reason: 'cycle-count' }, now);
    expect(stateEvents(inv)).toEqual([]);
  });

  it('a new SKU makes no transition, whatever its stock', () => {
    expect(stateEvents(ProductInventory.create(Sku.of('Z-0'), { onHand: 0 }, now))).toEqual([]);
    expect(stateEvents(ProductInventory.create(Sku.of('Z-1'), { onHand: 3 }, now))).toEqual([]);
  });
});
