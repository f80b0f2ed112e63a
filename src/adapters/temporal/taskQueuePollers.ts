import type { Connection } from '@temporalio/client';

// temporal.api.enums.v1 values (the proto package is only a transitive dependency).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

/**
 * An idle worker's long poll lasts up to a minute (the server's matching.longPollExpirationInterval),
 * and the server records a poller when its poll starts: a poller seen within this window is alive.
 */
export const POLLER_SEEN_WITHIN_MS = 75_000;

export interface TaskQueuePollers {
  /** Identities of the workers that polled the queue's workflow tasks within POLLER_SEEN_WITHIN_MS. */
  live: string[];
}

/**
 * Who polls `taskQueue` for workflow tasks, from the server (DescribeTaskQueue), so that a process can
 * tell whether any worker anywhere — usually another process — serves the queue.
 */
export async function describeTaskQueuePollers(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  now = Date.now(),
): Promise<TaskQueuePollers> {
  const response = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
  });
  const live = (response.pollers ?? [])
    .filter((p) => {
      const seconds = p.lastAccessTime?.seconds;
      if (seconds === undefined || seconds === null) return false;
      const seenAt = Number(seconds) * 1000 + Math.floor((p.lastAccessTime?.nanos ?? 0) / 1e6);
      return now - seenAt <= POLLER_SEEN_WITHIN_MS;
    })
    .map((p) => p.identity ?? 'unknown');
  return { live };
}
