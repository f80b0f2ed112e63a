import type { Client as TemporalClient } from '@temporalio/client';
import type { Logger } from 'pino';
import type { BackoffOptions } from '../shared/backoff';
import {
  SingleActiveWorker,
  type SingleActiveWorkerOptions,
  type SingleActiveWorkerState,
} from '../shared/SingleActiveWorker';

export type { WorkOutcome } from '../shared/SingleActiveWorker';
export type DispatcherState = SingleActiveWorkerState;

/**
 * Each dispatcher's session-level advisory lock (one active dispatcher of each kind per database; the
 * keys must differ) and the NOTIFY channel its table's trigger wakes it on (the migrations name them).
 */
export const DISPATCHERS = {
  replenishment: { lockKey: 4_177_206_412, channel: 'inventory_purchase_orders' },
  reservation: { lockKey: 4_177_206_413, channel: 'inventory_workflow_requests' },
} as const;

/** What a dispatcher of database rows to Temporal workflows takes. */
export interface TemporalDispatcherDependencies {
  databaseUrl: string;
  client: TemporalClient;
  taskQueue: string;
  logger: Logger;
  /** Fallback poll when no NOTIFY arrives (ms); also how often a standby tries to take over. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Between retries while Temporal (or Postgres) fails. */
  retryBackoff?: BackoffOptions;
}

/**
 * The leader loop of such a dispatcher: a pass that fails (Temporal down) is retried on the same
 * session, and a lost session is reopened with the same backoff.
 */
function dispatcherWorkerOptions(
  deps: TemporalDispatcherDependencies,
  own: Pick<SingleActiveWorkerOptions, 'name' | 'applicationName' | 'lockKey' | 'channel'> & {
    pollIntervalMs: number;
    maxBackoffMs: number;
  },
): SingleActiveWorkerOptions {
  const retryBackoff = deps.retryBackoff ?? { initialMs: 200, maxMs: own.maxBackoffMs };
  return {
    name: own.name,
    databaseUrl: deps.databaseUrl,
    applicationName: own.applicationName,
    lockKey: own.lockKey,
    channel: own.channel,
    logger: deps.logger,
    pollIntervalMs: deps.pollIntervalMs ?? own.pollIntervalMs,
    retryBackoff,
    reconnectBackoff: retryBackoff,
    retryFailedWork: true,
  };
}

/** What a dispatcher names for itself: its lock, its NOTIFY channel, its poll and its backoff ceiling. */
export type DispatcherIdentity = Parameters<typeof dispatcherWorkerOptions>[1];

/** A dispatcher of database rows to Temporal workflows: one active per database, on that leader loop. */
export abstract class TemporalDispatcher extends SingleActiveWorker {
  constructor(deps: TemporalDispatcherDependencies, own: DispatcherIdentity) {
    super(dispatcherWorkerOptions(deps, own));
  }
}
