import { DomainError, ErrorCodes, ValidationError } from '../../../src/domain/errors';
import { LedgerReplay } from '../../../src/domain/LedgerReplay';
import { OrderId } from '../../../src/domain/OrderId';
import { ProductInventory } from '../../../src/domain/ProductInventory';
import { StockCount } from '../../../src/domain/StockCount';
import { Quantity } from '../../../src/domain/Quantity';
import { Sku } from '../../../src/domain/Sku';
import { ProductInventoryMother } from '../../support/mothers/ProductInventoryMother';

const now = new Date('2030-01-01T10:00:00.000Z');
const later = new Date('2030-01-01T10:05:00.000Z');
const expiresAt = new Date('2030-01-01T10:15:00.000Z');
const order = OrderId.of('order-1');
const q = (n: number) => Quantity.of(n);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as DomainError).code;
  }
  return undefined;
}

describe('ProductInventory', () => {
  describe('create', () => {
    it('starts with nothing reserved and records the initial on hand as an ADJUST', () => {
      const inv = ProductInventory.create(Sku.of('new-1'), { onHand: 12, safetyStock: 2 }, now);
      expect(inv).toMatchObject({
        onHand: 12,
        reserved: 0,
        available: 12,
        safetyStock: 2,
        reorderQuantity: 0,
      });
      expect(inv.isNew).toBe(true);
      expect(inv.hasChanges).toBe(true);
      expect(inv.pullMovements()).toEqual([
        expect.objectContaining({
          sku: 'NEW-1',
          type: 'ADJUST',
          quantity: 12,
          onHandAfter: 12,
          reservedAfter: 0,
          reason: 'created',
          occurredAt: now,
        }),
      ]);
      expect(inv.pullEvents()).toEqual([]);
    });

    it.each([
      [{ onHand: -1 }],
      [{ onHand: 1.5 }],
      [{ onHand: StockCount.MAX + 1 }],
      [{ onHand: 1, safetyStock: -1 }],
      [{ onHand: 1, reorderQuantity: -2 }],
    ])('rejects invalid levels %p', (levels) => {
      expect(() => ProductInventory.create(Sku.of('X'), levels, now)).toThrow(ValidationError);
      expect(codeOf(() => ProductInventory.create(Sku.of('X'), levels, now))).toBe(
        ErrorCodes.INVALID_STOCK_LEVEL,
      );
    });
  });

  describe('restore', () => {
    it('rebuilds without movement or event', () => {
      const inv = ProductInventoryMother.restored({ onHand: 5, reserved: 2 });
      expect(inv.isNew).toBe(false);
      expect(inv.hasChanges).toBe(false);
      expect(inv.pullMovements()).toEqual([]);
      expect(inv.pullEvents()).toEqual([]);
    });

    it('refuses stored levels that break 0 <= reserved <= onHand', () => {
      expect(codeOf(() => ProductInventoryMother.restored({ onHand: 1, reserved: 2 }))).toBe(
        ErrorCodes.INVARIANT_VIOLATION,
      );
      expect(codeOf(() => ProductInventoryMother.restored({ onHand: 1, reserved: -1 }))).toBe(
        ErrorCodes.INVARIANT_VIOLATION,
      );
    });
  });

  describe('reserve', () => {
    it('moves units from available to reserved, with a movement and a StockReserved event', () => {
      const inv = ProductInventoryMother.restored({ sku: 'R-1', onHand: 10, reserved: 1 });
      inv.reserve(order, q(4), expiresAt, later);
      expect(inv).toMatchObject({
        onHand: 10,
        reserved: 5,
        available: 5,
        updatedAt: later,
        hasChanges: true,
      });
      expect(inv.pullMovements()).toEqual([
        {
          sku: 'R-1',
          type: 'RESERVE',
          quantity: 4,
          orderId: 'order-1',
          reason: null,
          reference: null,
          note: null,
          onHandAfter: 10,
          reservedAfter: 5,
          occurredAt: later,
        },
      ]);
      expect(inv.pullEvents()).toEqual([
        {
          type: 'StockReserved',
          sku: 'R-1',
          occurredAt: later,
          data: {
            orderId: 'order-1',
            sku: 'R-1',
            quantity: 4,
            available: 5,
            expiresAt: expiresAt.toISOString(),
          },
        },
      ]);
    });

    it('may take the last available unit', () => {
      const inv = ProductInventoryMother.withAvailable(3, 2);
      expect(inv.canReserve(q(3))).toBe(true);
      inv.reserve(order, q(3), expiresAt, now);
      expect(inv.available).toBe(0);
    });

    it('refuses more than available, changing nothing', () => {
      const inv = ProductInventoryMother.withAvailable(3, 2);
      expect(inv.canReserve(q(4))).toBe(false);
      expect(() => inv.reserve(order, q(4), expiresAt, now)).toThrow(
        expect.objectContaining({
          code: ErrorCodes.INSUFFICIENT_STOCK,
          details: expect.objectContaining({ available: 3, requested: 4 }),
        }),
      );
      expect(inv).toMatchObject({ reserved: 2, available: 3, hasChanges: false });
      expect(inv.pullMovements()).toEqual([]);
    });
  });

  describe('release and commit', () => {
    it('release gives reserved units back, with the reason', () => {
      const inv = ProductInventoryMother.restored({ sku: 'REL', onHand: 10, reserved: 6 });
      inv.release(order, q(4), 'expired', later);
      expect(inv).toMatchObject({ onHand: 10, reserved: 2, available: 8 });
      expect(inv.pullMovements()[0]).toMatchObject({
        type: 'RELEASE',
        quantity: 4,
        reason: 'expired',
        onHandAfter: 10,
        reservedAfter: 2,
      });
      expect(inv.pullEvents()[0]).toMatchObject({
        type: 'StockReleased',
        data: { orderId: 'order-1', sku: 'REL', quantity: 4, available: 8, reason: 'expired' },
      });
    });

    it('commit takes units out of both on hand and reserved', () => {
      const inv = ProductInventoryMother.restored({ sku: 'COM', onHand: 10, reserved: 6 });
      inv.commit(order, q(4), later);
      expect(inv).toMatchObject({ onHand: 6, reserved: 2, available: 4 });
      expect(inv.pullMovements()[0]).toMatchObject({
        type: 'COMMIT',
        quantity: 4,
        onHandAfter: 6,
        reservedAfter: 2,
      });
      expect(inv.pullEvents()[0]).toMatchObject({
        type: 'StockCommitted',
        data: { orderId: 'order-1', sku: 'COM', quantity: 4, onHand: 6 },
      });
    });

    it.each(['release', 'commit'] as const)('%s refuses more than is reserved', (action) => {
      const inv = ProductInventoryMother.restored({ onHand: 10, reserved: 2 });
      const act = () =>
        action === 'release' ? inv.release(order, q(3), 'released', now) : inv.commit(order, q(3), now);
      expect(codeOf(act)).toBe(ErrorCodes.INVARIANT_VIOLATION);
      expect(inv).toMatchObject({ onHand: 10, reserved: 2, hasChanges: false });
    });
  });

  describe('replenish', () => {
    it('adds to on hand with the reference in the movement and the event', () => {
      const inv = ProductInventoryMother.restored({ sku: 'REP', onHand: 2, reserved: 1 });
      inv.replenish(q(8), 'PO-7', later);
      expect(inv).toMatchObject({ onHand: 10, reserved: 1, available: 9 });
      expect(inv.pullMovements()[0]).toMatchObject({
        type: 'REPLENISH',
        quantity: 8,
        reference: 'PO-7',
        onHandAfter: 10,
      });
      expect(inv.pullEvents()[0]).toEqual({
        type: 'StockReplenished',
        sku: 'REP',
        occurredAt: later,
        data: { sku: 'REP', quantity: 8, onHand: 10, available: 9, reference: 'PO-7' },
      });
    });

    it('leaves reference out of the event when there is none', () => {
      const inv = ProductInventoryMother.restored();
      inv.replenish(q(1), undefined, now);
      expect(inv.pullEvents()[0]!.data).not.toHaveProperty('reference');
    });

    it('refuses to raise on hand above the level limit, changing nothing', () => {
      const inv = ProductInventoryMother.restored({ onHand: StockCount.MAX - 1 });
      expect(inv.canReplenish(q(2))).toBe(false);
      expect(codeOf(() => inv.replenish(q(2), undefined, now))).toBe(ErrorCodes.ON_HAND_LIMIT_EXCEEDED);
      expect(inv.onHand).toBe(StockCount.MAX - 1);
      expect(inv.hasChanges).toBe(false);
      expect(inv.pullMovements()).toEqual([]);
      expect(inv.pullEvents()).toEqual([]);
      inv.replenish(q(1), undefined, now);
      expect(inv.onHand).toBe(StockCount.MAX);
      expect(() => ProductInventory.validateLevels({ onHand: inv.onHand })).not.toThrow();
    });
  });

  describe('setLevels', () => {
    it('records a signed ADJUST for a change of on hand, keeping absent settings', () => {
      const inv = ProductInventoryMother.restored({
        onHand: 10,
        reserved: 3,
        safetyStock: 4,
        reorderQuantity: 20,
      });
      expect(inv.setLevels({ onHand: 7 }, later)).toBe(true);
      expect(inv).toMatchObject({ onHand: 7, reserved: 3, safetyStock: 4, reorderQuantity: 20 });
      expect(inv.pullMovements()).toEqual([
        expect.objectContaining({
          type: 'ADJUST',
          quantity: -3,
          reason: 'set-levels',
          onHandAfter: 7,
          reservedAfter: 3,
        }),
      ]);
    });

    it('changes settings without a movement when on hand stays', () => {
      const inv = ProductInventoryMother.restored({ onHand: 10 });
      expect(inv.setLevels({ onHand: 10, safetyStock: 5 }, later)).toBe(true);
      expect(inv.safetyStock).toBe(5);
      expect(inv.pullMovements()).toEqual([]);
    });

    it('reports no change for identical levels', () => {
      const inv = ProductInventoryMother.restored({ onHand: 10, safetyStock: 1 });
      expect(inv.setLevels({ onHand: 10, safetyStock: 1 }, later)).toBe(false);
      expect(inv.hasChanges).toBe(false);
    });

    it('refuses on hand below reserved', () => {
      const inv = ProductInventoryMother.restored({ onHand: 10, reserved: 6 });
      expect(codeOf(() => inv.setLevels({ onHand: 5 }, now))).toBe(ErrorCodes.ON_HAND_BELOW_RESERVED);
      expect(inv.setLevels({ onHand: 6 }, now)).toBe(true);
      expect(inv.available).toBe(0);
    });
  });

  it('keeps 0 <= reserved <= onHand through any sequence, and its ledger replays to its levels', () => {
    // A deterministic pseudo-random walk over every operation.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const inv = ProductInventory.create(Sku.of('WALK'), { onHand: 20 }, now);
    const replay = new LedgerReplay();
    inv.pullMovements().forEach((m) => replay.apply(m));
    for (let i = 0; i < 500; i++) {
      const n = q(1 + rnd(8));
      try {
        switch (rnd(5)) {
          case 0:
            inv.reserve(order, n, expiresAt, now);
            break;
          case 1:
            inv.release(order, n, 'released', now);
            break;
          case 2:
            inv.commit(order, n, now);
            break;
          case 3:
            inv.replenish(n, undefined, now);
            break;
          default:
            inv.setLevels({ onHand: inv.reserved + rnd(10) }, now);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(DomainError);
      }
      expect(inv.reserved).toBeGreaterThanOrEqual(0);
      expect(inv.reserved).toBeLessThanOrEqual(inv.onHand);
      inv.pullMovements().forEach((m) => replay.apply(m));
    }
    expect(replay.chainBreak).toBeNull();
    expect(replay.explains(inv)).toBe(true);
  });
});
