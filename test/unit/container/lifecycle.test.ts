import { Lifecycle, type Component } from '../../../src/container/lifecycle';

/** A component that records its calls in a shared journal. */
function fake(
  name: string,
  journal: string[],
  behaviour: { start?: () => Promise<void>; stop?: () => Promise<void> } = {},
): Component {
  return {
    name,
    start: async () => {
      journal.push(`start ${name}`);
      await behaviour.start?.();
    },
    stop: async () => {
      journal.push(`stop ${name}`);
      await behaviour.stop?.();
    },
  };
}

function warnings() {
  const calls: { fields: Record<string, unknown>; message: string }[] = [];
  return {
    calls,
    logger: {
      warn: (fields: Record<string, unknown>, message: string) => void calls.push({ fields, message }),
    },
  };
}

describe('Lifecycle', () => {
  it('starts the components in the order they were added and stops them in reverse', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    lifecycle.add(fake('worker', journal)).add(fake('bridge', journal)).add(fake('http', journal));

    await lifecycle.start();
    expect(journal).toEqual(['start worker', 'start bridge', 'start http']);

    await lifecycle.stop();
    expect(journal.slice(3)).toEqual(['stop http', 'stop bridge', 'stop worker']);
  });

  it('a failed start stops what already started, in reverse, never the failed one or the rest, and rethrows', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    lifecycle
      .add(fake('worker', journal))
      .add(fake('dispatcher', journal))
      .add(fake('bridge', journal, { start: () => Promise.reject(new Error('no broker')) }))
      .add(fake('http', journal));

    await expect(lifecycle.start()).rejects.toThrow('no broker');
    expect(journal).toEqual([
      'start worker',
      'start dispatcher',
      'start bridge',
      'stop dispatcher',
      'stop worker',
    ]);
  });

  it('a start that throws synchronously rolls back too', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    lifecycle.add(fake('worker', journal)).add({
      name: 'broken',
      start: () => {
        throw new Error('bad config');
      },
      stop: async () => void journal.push('stop broken'),
    });

    await expect(lifecycle.start()).rejects.toThrow('bad config');
    expect(journal).toEqual(['start worker', 'stop worker']);
  });

  it('stop is idempotent: concurrent and repeated calls stop each component once', async () => {
    const journal: string[] = [];
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    lifecycle.add(fake('worker', journal)).add(fake('http', journal));
    await lifecycle.start();

    await Promise.all([lifecycle.stop(), lifecycle.stop()]);
    await lifecycle.stop();
    expect(journal.filter((line) => line.startsWith('stop'))).toEqual(['stop http', 'stop worker']);
  });

  it('stop during a start waits for the component in flight, stops it, and starts no more', async () => {
    const journal: string[] = [];
    let finishStart!: () => void;
    const slow = new Promise<void>((resolve) => (finishStart = resolve));
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    lifecycle
      .add(fake('worker', journal))
      .add(fake('bridge', journal, { start: () => slow }))
      .add(fake('http', journal));

    const starting = lifecycle.start();
    await waitFor(() => journal.includes('start bridge'));
    const stopping = lifecycle.stop();
    finishStart();
    await Promise.all([starting, stopping]);
    expect(journal).toEqual(['start worker', 'start bridge', 'stop bridge', 'stop worker']);
  });

  it('a stop that fails or overruns its bound is logged, and the next component still stops', async () => {
    const journal: string[] = [];
    const { calls, logger } = warnings();
    const lifecycle = new Lifecycle({ stopTimeoutMs: 20, logger });
    lifecycle
      .add(fake('worker', journal))
      .add(fake('dispatcher', journal, { stop: () => Promise.reject(new Error('session lost')) }))
      .add(fake('bridge', journal, { stop: () => new Promise<void>(() => undefined) }));
    await lifecycle.start();

    await expect(lifecycle.stop()).resolves.toBeUndefined();
    expect(journal.slice(3)).toEqual(['stop bridge', 'stop dispatcher', 'stop worker']);
    expect(calls.map((c) => [c.fields.component, c.message])).toEqual([
      ['bridge', 'stopping the bridge timed out'],
      ['dispatcher', 'stopping the dispatcher failed'],
    ]);
  });

  it('refuses components added after start()', async () => {
    const lifecycle = new Lifecycle({ stopTimeoutMs: 1000 });
    await lifecycle.start();
    expect(() => lifecycle.add(fake('late', []))).toThrow('added after start()');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
