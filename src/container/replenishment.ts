import type { AwilixContainer } from 'awilix';
import {
  createReplenishmentActivities,
  type ReplenishmentActivitiesCradle,
} from '../../activities/replenishment';
import { ReplenishmentDispatcher } from '../adapters/temporal/ReplenishmentDispatcher';
import type { BaseCradle } from './base';
import { backgroundComponent } from './lifecycle';
import { dispatcherDependencies, type DispatcherComponent, type TemporalCradle } from './temporal';

/**
 * The purchase-order side of the worker role: the replenishment activity, registered on the
 * reservation worker (its workflows share the bundle and the task queue), and the dispatcher that
 * starts and closes the replenishment workflows.
 */

/** Overrides for createConfiguredReservationWorker: adds the replenishment activity. */
export function replenishmentWorkerOverrides<C extends ReplenishmentActivitiesCradle>(
  container: AwilixContainer<C>,
) {
  return { extraActivities: createReplenishmentActivities(container) };
}

export type ReplenishmentDispatcherComponent = DispatcherComponent<ReplenishmentDispatcher>;

/**
 * The ReplenishmentDispatcher of this process (worker role) on the container's Temporal client and
 * configuration. Starts at once; it stands by while another process holds the dispatcher lock. stop()
 * finishes the Temporal call in flight.
 */
export function replenishmentDispatcherComponent<
  C extends BaseCradle & Pick<TemporalCradle, 'temporalClient'>,
>(container: AwilixContainer<C>): ReplenishmentDispatcherComponent {
  const dispatcher = new ReplenishmentDispatcher({
    ...dispatcherDependencies(container, 'replenishment-dispatcher'),
    reminderSeconds: container.resolve('config').PURCHASE_ORDER_REMINDER_SECONDS,
  });
  return { ...backgroundComponent('replenishment dispatcher', dispatcher), dispatcher };
}
