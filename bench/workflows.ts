import {
  condition,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { SearchAttributeKeys } from '../workflows/shared';

/** The production workflow, bundled with the benchmark's floor so one worker runs both. */
export { reservationWorkflow } from '../workflows/reservation';

export const floorReserve = defineUpdate<string, [unknown]>('reserve');
export const floorStop = defineSignal('stop');

export interface FloorInput {
  /** Mimic the reservation workflow's Temporal shape: search-attribute upsert + TTL timer. */
  shape?: boolean;
  upsert?: boolean;
  timer?: boolean;
}

const { noop } = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '5s' });

/**
 * The latency floor: the same Update-With-Start shape as the reservation workflow, whose update runs
 * a no-op local activity. Waits (like a reservation) until stopped or terminated. With `shape`, it
 * also does what the reservation workflow does around its activity, to split Temporal's share of the
 * overhead from the database's.
 */
export async function floorWorkflow(input: FloorInput = {}): Promise<void> {
  let stopped = false;
  let reserved = false;
  setHandler(floorReserve, async () => {
    await noop();
    if (input.shape || input.upsert) {
      upsertSearchAttributes([
        { key: SearchAttributeKeys.status, value: 'RESERVED' },
        { key: SearchAttributeKeys.skus, value: ['BENCH-000'] },
        { key: SearchAttributeKeys.expiresAt, value: new Date(Date.now() + 3_600_000) },
      ]);
    }
    reserved = true;
    return 'ok';
  });
  setHandler(floorStop, () => {
    stopped = true;
  });
  if (input.shape || input.timer) {
    await condition(() => reserved);
    await condition(() => stopped, '1 hour');
  } else {
    await condition(() => stopped);
  }
}
