/** Something a process runs in the background: a relay, a consumer, a dispatcher, a worker, a listener. */
export interface Component {
  readonly name: string;
  /** Returns once the component runs (or stands by); a rejection means it did not start. */
  start(): void | Promise<void>;
  /** Graceful: finishes the work in flight. Called once, and only after start() resolved. */
  stop(): Promise<void>;
}

export interface LifecycleOptions {
  /** Bound on each component's stop(); one that overruns is logged and left behind, the next one stops. */
  stopTimeoutMs: number;
  logger?: { warn(fields: object, message: string): void };
}

/**
 * The start and stop order of a process's components: started in the order they were added, stopped in
 * reverse, so what takes work (HTTP) stops before what it hands work to, and connections go last (the
 * container's disposers, after stop()). A failed start stops what already started and rethrows.
 */
export class Lifecycle {
  private readonly components: Component[] = [];
  private readonly started: Component[] = [];
  private startCalled = false;
  /** The start in flight: stop() waits for it, so a component that is still starting is stopped too. */
  private starting: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;

  constructor(private readonly options: LifecycleOptions) {}

  add(component: Component): this {
    if (this.startCalled) throw new Error(`Lifecycle: "${component.name}" added after start()`);
    this.components.push(component);
    return this;
  }

  async start(): Promise<void> {
    if (this.startCalled) throw new Error('Lifecycle: start() called twice');
    this.startCalled = true;
    for (const component of this.components) {
      if (this.stopping) return;
      const run = Promise.resolve().then(() => component.start());
      this.starting = run.then(
        () => void this.started.push(component),
        () => undefined,
      );
      try {
        await run;
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
  }

  /** Stops what started, in reverse order. Idempotent; never rejects (failures are logged). */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      await this.starting;
      for (const component of [...this.started].reverse()) await this.stopOne(component);
    })());
  }

  private async stopOne(component: Component): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.stopTimeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => component.stop())
          .then(() => 'stopped' as const),
        timeout,
      ]);
      if (outcome === 'timeout') {
        this.options.logger?.warn(
          { component: component.name, timeoutMs: this.options.stopTimeoutMs },
          `stopping the ${component.name} timed out`,
        );
      }
    } catch (err) {
      this.options.logger?.warn({ err, component: component.name }, `stopping the ${component.name} failed`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A background worker whose start() returns at once and whose stop() finishes the work in flight. */
export function backgroundComponent(
  name: string,
  worker: { start(): void; stop(): Promise<void> },
): Component {
  return { name, start: () => worker.start(), stop: () => worker.stop() };
}
