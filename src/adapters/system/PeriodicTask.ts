import type { Logger } from 'pino';

/**
 * Runs `task` every `intervalMs`, never two passes at once; a failing pass is logged and the next one
 * comes on schedule. stop() waits for the pass in flight.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly options: { name: string; intervalMs: number; logger: Logger },
    private readonly task: () => Promise<void>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.task()
        .catch((err: unknown) => this.options.logger.warn({ err }, `${this.options.name} failed; will retry`))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
