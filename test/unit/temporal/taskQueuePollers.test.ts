import type { Connection } from '@temporalio/client';
import {
  describeTaskQueuePollers,
  POLLER_SEEN_WITHIN_MS,
} from '../../../src/adapters/temporal/taskQueuePollers';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const seenAgo = (ms: number) => ({ seconds: Math.floor((NOW - ms) / 1000), nanos: 0 });

function connectionAnswering(pollers: unknown[], requests: unknown[] = []): Connection {
  return {
    workflowService: {
      describeTaskQueue: async (request: unknown) => {
        requests.push(request);
        return { pollers };
      },
    },
  } as unknown as Connection;
}

describe('describeTaskQueuePollers', () => {
  it("asks for the queue's workflow-task pollers and keeps those seen within the long-poll window", async () => {
    const requests: unknown[] = [];
    const connection = connectionAnswering(
      [
        { identity: 'fresh@a', lastAccessTime: seenAgo(1_000) },
        // An idle worker's poll started almost a minute ago: still alive.
        { identity: 'idle@b', lastAccessTime: seenAgo(POLLER_SEEN_WITHIN_MS - 5_000) },
        // The server keeps a dead worker listed for minutes.
        { identity: 'dead@c', lastAccessTime: seenAgo(POLLER_SEEN_WITHIN_MS + 5_000) },
        { identity: 'never@d' },
      ],
      requests,
    );
    const { live } = await describeTaskQueuePollers(connection, 'default', 'inventory-reservations', NOW);
    expect(live).toEqual(['fresh@a', 'idle@b']);
    expect(requests).toEqual([
      { namespace: 'default', taskQueue: { name: 'inventory-reservations', kind: 1 }, taskQueueType: 1 },
    ]);
  });

  it('none when nobody polls', async () => {
    expect((await describeTaskQueuePollers(connectionAnswering([]), 'default', 'q', NOW)).live).toEqual([]);
  });
});
