import type { Connection } from '@temporalio/client';
import type { HealthCheck } from '../../application/ports';
import { describeTaskQueuePollers, POLLER_SEEN_WITHIN_MS } from './taskQueuePollers';
import type { ReservationWorker } from './worker';

/** /health/ready's `temporal`: the frontend answers on the client's connection. */
export function temporalHealth(connection: Connection, address: string): HealthCheck {
  return async () => {
    await connection.ensureConnected();
    await connection.workflowService.getSystemInfo({});
    return { ok: true, detail: address };
  };
}

/** /health/ready's `workerPollers`: some worker, in any process, polled the task queue lately. */
export function taskQueuePollersHealth(
  connection: Connection,
  namespace: string,
  taskQueue: string,
): HealthCheck {
  return async () => {
    const { live } = await describeTaskQueuePollers(connection, namespace, taskQueue);
    return live.length > 0
      ? { ok: true, detail: `${live.length} polling ${taskQueue}: ${live.join(', ')}` }
      : { ok: false, detail: `no worker polled ${taskQueue} in the last ${POLLER_SEEN_WITHIN_MS / 1000} s` };
  };
}

/** /health/ready's `worker`: this process's own worker polls. */
export function workerHealth(worker: Pick<ReservationWorker, 'isRunning' | 'taskQueue'>): HealthCheck {
  return async () =>
    worker.isRunning()
      ? { ok: true, detail: worker.taskQueue }
      : { ok: false, detail: `worker not polling ${worker.taskQueue}` };
}
