import {
  condition,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

export const floorReserve = defineUpdate<string, [unknown]>('reserve');
export const floorStop = defineSignal('stop');

const { noop } = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '5s' });

/**
 * The Update-With-Start floor of bench/reserve-latency.ts: the same Update-With-Start shape as the
 * reservation workflow in RESERVE_MODE=workflow, whose update runs a no-op local activity. Waits (like
 * a reservation) until stopped or terminated.
 */
export async function floorWorkflow(): Promise<void> {
  let stopped = false;
  setHandler(floorReserve, async () => {
    await noop();
    return 'ok';
  });
  setHandler(floorStop, () => {
    stopped = true;
  });
  await condition(() => stopped);
}
