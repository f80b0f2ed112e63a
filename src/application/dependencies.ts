import type { Clock } from '../domain/ports/Clock';
import type { IdGenerator } from '../domain/ports/IdGenerator';
import type { InventoryRepositoryPort } from '../domain/ports/InventoryRepositoryPort';
import type { MovementLedgerReaderPort } from '../domain/ports/MovementLedgerReaderPort';
import type { PurchaseOrderRequestRepositoryPort } from '../domain/ports/PurchaseOrderRequestRepositoryPort';
import type { ReservationRepositoryPort } from '../domain/ports/ReservationRepositoryPort';
import type { UnitOfWorkPort } from '../domain/ports/UnitOfWorkPort';
import type { StockLevelReaderPort } from './ports';

/** What the commands need: every command is one unit of work. */
export interface CommandDependencies {
  unitOfWork: UnitOfWorkPort;
  clock: Clock;
  ids: IdGenerator;
}

/* The read halves of the repositories: queries never lock or write (commands do, in their unit of work). */
export type InventoryReader = Pick<InventoryRepositoryPort, 'findBySku'>;
export type ReservationReader = Pick<ReservationRepositoryPort, 'findByOrderId'>;
export type MovementReader = Pick<MovementLedgerReaderPort, 'listBySku'>;
export type PurchaseOrderReader = Pick<PurchaseOrderRequestRepositoryPort, 'findOpenBySkus' | 'list'>;

/** What the queries need: plain reads outside any transaction. */
export interface QueryDependencies {
  inventoryRepository: InventoryReader;
  reservationRepository: ReservationReader;
  movementReader: MovementReader;
  purchaseOrderRepository: PurchaseOrderReader;
  /** Stock levels in one query (the hot read path); without it, two repository reads. */
  stockLevelReader?: StockLevelReaderPort;
}
