import type { StockLevelView } from '../../../src/application/contracts';
import { GetStockLevels, ListBelowSafetyStock } from '../../../src/application/GetStockLevels';
import type { StockLevelPageRequest, StockLevelReaderPort } from '../../../src/application/ports';
import type { Sku } from '../../../src/domain/Sku';

const level = (sku: string, onHand: number, safetyStock = 0): StockLevelView => ({
  sku,
  onHand,
  reserved: 0,
  available: onHand,
  safetyStock,
  reorderQuantity: 0,
  updatedAt: '2030-01-01T00:00:00.000Z',
  version: 0,
  openPurchaseOrder: null,
});

/** Keeps the levels by SKU and records what each call asked. */
class FakeReader implements StockLevelReaderPort {
  readonly batches: string[][] = [];
  readonly pages: StockLevelPageRequest[] = [];
  constructor(private readonly levels: StockLevelView[]) {}
  async findStockLevel(sku: Sku) {
    return this.levels.find((l) => l.sku === sku.value) ?? null;
  }
  async findStockLevels(skus: readonly Sku[]) {
    this.batches.push(skus.map((s) => s.value));
    // Any order, as the port allows.
    return this.levels.filter((l) => skus.some((s) => s.value === l.sku)).reverse();
  }
  async listBelowSafetyStock(page: StockLevelPageRequest) {
    this.pages.push(page);
    return this.levels
      .filter((l) => l.available < l.safetyStock && (!page.afterSku || l.sku > page.afterSku))
      .sort((a, b) => (a.sku < b.sku ? -1 : 1))
      .slice(0, page.limit);
  }
}

describe('GetStockLevels', () => {
  it('asks the reader once for the distinct SKUs and answers in the order asked', async () => {
    const reader = new FakeReader([level('A', 1), level('B', 2), level('C', 3)]);
    const batch = await new GetStockLevels({ stockLevelReader: reader }).execute(['c', 'x-1', 'A', 'C']);
    expect(reader.batches).toEqual([['C', 'X-1', 'A']]);
    expect(batch.items.map((l) => l.sku)).toEqual(['C', 'A']);
    expect(batch.unknown).toEqual(['X-1']);
  });

  it.each([[[]], [Array.from({ length: 101 }, (_, i) => `S${i}`)], [['-bad']]])(
    'refuses %j with a ValidationError',
    async (skus) => {
      const reader = new FakeReader([]);
      await expect(new GetStockLevels({ stockLevelReader: reader }).execute(skus)).rejects.toMatchObject({
        name: 'ValidationError',
      });
      expect(reader.batches).toEqual([]);
    },
  );
});

describe('ListBelowSafetyStock', () => {
  it('pages by SKU with an opaque cursor', async () => {
    const reader = new FakeReader([level('A', 1, 5), level('B', 9, 5), level('C', 0, 1), level('D', 2, 3)]);
    const list = new ListBelowSafetyStock({ stockLevelReader: reader });
    const first = await list.execute({ limit: 2 });
    expect(first.items.map((l) => l.sku)).toEqual(['A', 'C']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list.execute({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [expect.objectContaining({ sku: 'D' })], nextCursor: null });
    expect(reader.pages).toEqual([{ limit: 3 }, { limit: 3, afterSku: 'C' }]);
  });

  it('refuses a cursor it did not issue', async () => {
    const list = new ListBelowSafetyStock({ stockLevelReader: new FakeReader([]) });
    await expect(list.execute({ cursor: 'QQ' })).rejects.toMatchObject({ code: 'INVENTORY.INVALID_CURSOR' });
  });
});
