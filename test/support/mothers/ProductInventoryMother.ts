import { ProductInventory, type ProductInventoryProps } from '../../../src/domain/ProductInventory';
import { Sku } from '../../../src/domain/Sku';
import { uniqueSku } from '../naming';

const T0 = new Date('2030-01-01T09:00:00.000Z');

/** Aggregates in a given state, as if loaded from the database. */
export const ProductInventoryMother = {
  restored(overrides: Partial<Omit<ProductInventoryProps, 'sku'>> & { sku?: string } = {}): ProductInventory {
    const { sku, ...rest } = overrides;
    return ProductInventory.restore({
      sku: Sku.of(sku ?? uniqueSku('PI')),
      onHand: 10,
      reserved: 0,
      safetyStock: 0,
      reorderQuantity: 0,
      version: 3,
      createdAt: T0,
      updatedAt: T0,
      ...rest,
    });
  },

  withAvailable(available: number, reserved = 0): ProductInventory {
    return ProductInventoryMother.restored({ onHand: available + reserved, reserved });
  },
};
