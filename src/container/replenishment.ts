import type { AwilixContainer } from 'awilix';
import {
  createReplenishmentActivities,
  type ReplenishmentActivitiesCradle,
} from '../../activities/replenishment';
import { ReplenishmentDispatcher } from '../adapters/temporal/ReplenishmentDispatcher';
import type { BaseCradle } from './base';
import type { TemporalCradle } from './temporal';

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

export interface RunningDispatcher {
  readonly dispatcher: ReplenishmentDispatcher;
  /** Graceful: finishes the Temporal call in flight. Call before disposing the container. */
  stop(): Promise<void>;
}

/**
 * Starts the ReplenishmentDispatcher of this process (worker role) on the container's Temporal client
 * and configuration. Returns at once; it stands by while another process holds the dispatcher lock.
 */
export function startReplenishmentDispatcher<C extends BaseCradle & Pick<TemporalCradle, 'temporalClient'>>(
  container: AwilixContainer<C>,
): RunningDispatcher {
  const config = container.resolve('config');
  const dispatcher = new ReplenishmentDispatcher({
    databaseUrl: config.DATABASE_URL,
    client: container.resolve('temporalClient'),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    reminderSeconds: config.PURCHASE_ORDER_REMINDER_SECONDS,
    logger: container.resolve('logger').child({ component: 'replenishment-dispatcher' }),
  });
  dispatcher.start();
  return { dispatcher, stop: () => dispatcher.stop() };
}
