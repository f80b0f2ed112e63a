import type { Sku } from '../Sku';
import type { RecordedMovement } from '../StockMovement';

export interface MovementPageRequest {
  limit: number;
  /** Only movements older than this id (the last one of the previous page). */
  beforeId?: string;
}

/** Reads the append-only ledger (appending is the inventory repository's job). */
export interface MovementLedgerReaderPort {
  /** A SKU's movements, newest first. */
  listBySku(sku: Sku, page: MovementPageRequest): Promise<RecordedMovement[]>;
}
