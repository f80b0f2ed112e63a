import { Sku } from '../domain/Sku';
import type { ListMovementsQuery, MovementPage } from './contracts';
import type { QueryDependencies } from './dependencies';
import { decodeCursor, encodeCursor, parseLimit, parseMovementReason, parseMovementType } from './input';
import { toMovementView } from './views';

/**
 * A SKU's ledger, newest first, a page at a time, optionally only one type and/or reason (the cursor
 * is the last id either way); null when the SKU does not exist.
 */
export class ListMovements {
  constructor(private readonly deps: Pick<QueryDependencies, 'inventoryRepository' | 'movementReader'>) {}

  async execute(query: ListMovementsQuery): Promise<MovementPage | null> {
    const sku = Sku.of(query.sku);
    const limit = parseLimit(query.limit);
    const beforeId = decodeCursor(query.cursor);
    const type = parseMovementType(query.type);
    const reason = parseMovementReason(query.reason);

    if (!(await this.deps.inventoryRepository.findBySku(sku))) return null;
    // One more than asked tells whether another page exists.
    const rows = await this.deps.movementReader.listBySku(sku, {
      limit: limit + 1,
      beforeId,
      ...(type !== undefined ? { type } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toMovementView),
      nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
    };
  }
}
