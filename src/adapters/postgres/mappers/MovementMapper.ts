import { MOVEMENT_TYPES, type MovementType, type RecordedMovement } from '../../../domain/StockMovement';
import type { StockMovement as StockMovementRow } from '../generated/client';

/** Table stock_movements; `id` is assigned by the database (bigserial), the rest is the domain's. */
export type MovementRecord = StockMovementRow;

function movementType(raw: string): MovementType {
  if (!(MOVEMENT_TYPES as readonly string[]).includes(raw)) {
    throw new Error(`Unknown movement type in the database: ${raw}`);
  }
  return raw as MovementType;
}

export const MovementMapper = {
  /** A row is its movement field for field: the id travels as a decimal string, the type is checked. */
  toDomain(row: MovementRecord): RecordedMovement {
    return { ...row, id: row.id.toString(), type: movementType(row.type) };
  },
};
