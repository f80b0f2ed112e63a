import type { InventoryRepositoryPort } from '../../../src/domain/ports/InventoryRepositoryPort';
import type {
  MovementLedgerReaderPort,
  MovementPageRequest,
} from '../../../src/domain/ports/MovementLedgerReaderPort';
import type { OutboxMessage, OutboxPort } from '../../../src/domain/ports/OutboxPort';
import type { ReservationRepositoryPort } from '../../../src/domain/ports/ReservationRepositoryPort';
import type { OrderId } from '../../../src/domain/OrderId';
import type { ProductInventory } from '../../../src/domain/ProductInventory';
import type { Reservation } from '../../../src/domain/Reservation';
import type { Sku } from '../../../src/domain/Sku';
import type { RecordedMovement } from '../../../src/domain/StockMovement';
import {
  readInventory,
  readReservation,
  writeInventories,
  writeReservation,
  type InMemoryTables,
} from './InMemoryDatabase';

/** The repositories read and write whatever tables they are given: committed ones or a transaction's copy. */
export class InMemoryInventoryRepository implements InventoryRepositoryPort {
  readonly locked: string[][] = [];
  constructor(private readonly tables: () => InMemoryTables) {}

  async findBySku(sku: Sku): Promise<ProductInventory | null> {
    return readInventory(this.tables(), sku.value);
  }

  async lockForUpdate(skus: readonly Sku[]): Promise<Map<string, ProductInventory>> {
    const sorted = [...new Set(skus.map((s) => s.value))].sort();
    this.locked.push(sorted);
    const found = new Map<string, ProductInventory>();
    for (const sku of sorted) {
      const inventory = readInventory(this.tables(), sku);
      if (inventory) found.set(sku, inventory);
    }
    return found;
  }

  async save(inventories: readonly ProductInventory[]): Promise<void> {
    writeInventories(this.tables(), inventories);
  }
}

export class InMemoryReservationRepository implements ReservationRepositoryPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async findByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return readReservation(this.tables(), orderId.value);
  }

  async lockByOrderId(orderId: OrderId): Promise<Reservation | null> {
    return readReservation(this.tables(), orderId.value);
  }

  async save(reservation: Reservation): Promise<void> {
    writeReservation(this.tables(), reservation);
  }
}

export class InMemoryMovementReader implements MovementLedgerReaderPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]> {
    return this.tables()
      .movements.filter((m) => m.sku === sku.value)
      .filter((m) => page.beforeId === undefined || Number(m.id) < Number(page.beforeId))
      .sort((a, b) => Number(b.id) - Number(a.id))
      .slice(0, page.limit);
  }
}

export class InMemoryOutbox implements OutboxPort {
  constructor(private readonly tables: () => InMemoryTables) {}

  async record(messages: readonly OutboxMessage[]): Promise<void> {
    this.tables().outbox.push(...messages);
  }
}
