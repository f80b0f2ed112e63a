import { ErrorCodes, ValidationError } from '../domain/errors';
import { Sku } from '../domain/Sku';
import type { ListBelowSafetyStockQuery, StockLevelBatch, StockLevelPage } from './contracts';
import { decodeOpaqueCursor, encodeOpaqueCursor, MAX_BATCH_SKUS, parseLimit } from './input';
import type { StockLevelReaderPort } from './ports';

const CURSOR_PREFIX = 'bs1:';

/** Several SKUs' levels in one query of the read side; SKUs that do not exist are listed apart. */
export class GetStockLevels {
  constructor(private readonly deps: { stockLevelReader: StockLevelReaderPort }) {}

  async execute(rawSkus: readonly unknown[]): Promise<StockLevelBatch> {
    if (!Array.isArray(rawSkus) || rawSkus.length === 0 || rawSkus.length > MAX_BATCH_SKUS) {
      throw new ValidationError(ErrorCodes.INVALID_SKU, `Ask for 1..${MAX_BATCH_SKUS} SKUs at once`, {
        count: Array.isArray(rawSkus) ? rawSkus.length : null,
      });
    }
    const skus = [...new Map(rawSkus.map((raw) => Sku.of(raw)).map((s) => [s.value, s])).values()];
    const found = new Map(
      (await this.deps.stockLevelReader.findStockLevels(skus)).map((level) => [level.sku, level]),
    );
    return {
      items: skus.flatMap((s) => found.get(s.value) ?? []),
      unknown: skus.filter((s) => !found.has(s.value)).map((s) => s.value),
    };
  }
}

/** SKUs whose available stock is under their safety stock, by SKU, a page at a time. */
export class ListBelowSafetyStock {
  constructor(private readonly deps: { stockLevelReader: StockLevelReaderPort }) {}

  async execute(query: ListBelowSafetyStockQuery): Promise<StockLevelPage> {
    const limit = parseLimit(query.limit);
    const afterSku = decodeOpaqueCursor(query.cursor, CURSOR_PREFIX, 128, (sku) => {
      try {
        return Sku.of(sku).value === sku ? sku : undefined;
      } catch {
        return undefined;
      }
    });
    // One more than asked tells whether another page exists.
    const rows = await this.deps.stockLevelReader.listBelowSafetyStock({ limit: limit + 1, afterSku });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeOpaqueCursor(CURSOR_PREFIX, last.sku) : null,
    };
  }
}
