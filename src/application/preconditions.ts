import type { ProductInventory } from '../domain/ProductInventory';
import type { VersionPrecondition } from './contracts';

/** Checked under the row lock, so the version cannot change between the check and the write. */
export function preconditionHolds(
  precondition: VersionPrecondition,
  current: ProductInventory | null | undefined,
): boolean {
  if (!current) return false;
  return precondition === '*' || precondition.includes(current.version);
}
