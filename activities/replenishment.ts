import type { AwilixContainer } from 'awilix';
import type { RemindPurchaseOrderCommand, RemindPurchaseOrderOutcome } from '../src/application/contracts';
import { toActivityFailure } from './reservation';

export type { RemindPurchaseOrderCommand, RemindPurchaseOrderOutcome } from '../src/application/contracts';

/** The slice of the application service the replenishment activity calls. */
export interface ReplenishmentUseCases {
  remindPurchaseOrder(command: RemindPurchaseOrderCommand): Promise<RemindPurchaseOrderOutcome>;
}

/** What the activity resolves per call (`inventoryService`, scoped, from the persistence module). */
export interface ReplenishmentActivitiesCradle {
  inventoryService: ReplenishmentUseCases;
}

/**
 * The replenishment workflow's only activity. One transaction: still OPEN? then record the reminder in
 * the outbox and count it. Idempotent per reminder number, so a retry after a crash never publishes the
 * same reminder twice. Domain errors are non-retryable failures typed with their code.
 */
export function createReplenishmentActivities<C extends ReplenishmentActivitiesCradle>(
  container: AwilixContainer<C>,
) {
  return {
    async remindPurchaseOrder(command: RemindPurchaseOrderCommand): Promise<RemindPurchaseOrderOutcome> {
      const scope = container.createScope();
      try {
        return await scope.resolve('inventoryService').remindPurchaseOrder(command);
      } catch (error) {
        throw toActivityFailure(error);
      } finally {
        await scope.dispose();
      }
    },
  };
}

export type ReplenishmentActivities = ReturnType<typeof createReplenishmentActivities>;
