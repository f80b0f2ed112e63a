import { InventoryService } from '../../../src/application/InventoryService';
import { FixedClock } from './FixedClock';
import { InMemoryUnitOfWork } from './InMemoryUnitOfWork';
import {
  InMemoryInventoryRepository,
  InMemoryMovementReader,
  InMemoryPurchaseOrderRepository,
  InMemoryReservationRepository,
} from './InMemoryRepositories';
import { SequentialIds } from './SequentialIds';

export * from './FixedClock';
export * from './InMemoryDatabase';
export * from './InMemoryProcessedMessages';
export * from './InMemoryRepositories';
export * from './InMemoryUnitOfWork';
export * from './SequentialIds';

/** An InventoryService over in-memory fakes, with handles on everything a test inspects. */
export function inMemoryInventory(
  options: { defaultTtlSeconds?: number; reservationMaxAgeSeconds?: number } = {},
) {
  const unitOfWork = new InMemoryUnitOfWork();
  const clock = new FixedClock();
  const ids = new SequentialIds();
  const committed = () => unitOfWork.tables;
  const service = new InventoryService({
    unitOfWork,
    clock,
    ids,
    inventoryRepository: new InMemoryInventoryRepository(committed),
    reservationRepository: new InMemoryReservationRepository(committed),
    movementReader: new InMemoryMovementReader(committed),
    purchaseOrderRepository: new InMemoryPurchaseOrderRepository(committed),
    defaultTtlSeconds: options.defaultTtlSeconds,
    reservationMaxAgeSeconds: options.reservationMaxAgeSeconds,
  });
  return { service, unitOfWork, clock, ids, tables: committed };
}
