import { StockCount } from '../../../src/domain/StockCount';
import {
  isBelowSafetyStock,
  purchaseQuantity,
  safetyStockDecision,
  type StockChange,
} from '../../../src/domain/SafetyStockPolicy';

const levels = (available: number, safetyStock: number, reorderQuantity = 0) => ({
  available,
  safetyStock,
  reorderQuantity,
});

describe('SafetyStockPolicy', () => {
  it('is below safety stock only strictly below it', () => {
    expect(isBelowSafetyStock(levels(4, 5))).toBe(true);
    expect(isBelowSafetyStock(levels(5, 5))).toBe(false);
    expect(isBelowSafetyStock(levels(0, 0))).toBe(false);
  });

  it('orders back up to safety stock plus the reorder quantity', () => {
    expect(purchaseQuantity(levels(3, 10, 20))).toBe(27);
    expect(purchaseQuantity(levels(0, 1, 0))).toBe(1);
    expect(purchaseQuantity(levels(0, StockCount.MAX, StockCount.MAX))).toBe(StockCount.MAX);
  });

  const ALL: StockChange[] = ['RESERVE', 'RELEASE', 'COMMIT', 'REPLENISH', 'SET_LEVELS'];

  it.each(ALL)('%s below safety stock opens a request when none is open, keeps the open one', (change) => {
    expect(safetyStockDecision(levels(2, 5), false, change)).toBe('open');
    expect(safetyStockDecision(levels(2, 5), true, change)).toBe('keep');
  });

  it.each(['REPLENISH', 'SET_LEVELS'] as const)(
    '%s back to safety stock closes the open request',
    (change) => {
      expect(safetyStockDecision(levels(5, 5), true, change)).toBe('close');
      expect(safetyStockDecision(levels(9, 5), true, change)).toBe('close');
      expect(safetyStockDecision(levels(9, 5), false, change)).toBe('keep');
    },
  );

  it.each(['RESERVE', 'RELEASE', 'COMMIT'] as const)(
    '%s above safety stock leaves an open request open (only a replenishment closes it)',
    (change) => {
      expect(safetyStockDecision(levels(9, 5), true, change)).toBe('keep');
      expect(safetyStockDecision(levels(9, 5), false, change)).toBe('keep');
    },
  );
});
