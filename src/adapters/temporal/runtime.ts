import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../../config';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's log lines (worker state, activity failures, workflow.log) as pino JSON like the rest. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    // The worker logs every activation at TRACE with the activation as metadata: drop what pino would
    // drop before copying it.
    if (!this.logger.isLevelEnabled(LEVELS[level])) return;
    const { error, ...rest } = (meta ?? {}) as LogMetadata & { error?: unknown };
    this.logger[LEVELS[level]]({ ...rest, ...(error !== undefined ? { err: error } : {}) }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

let installed = false;

/**
 * Installs the process-wide Temporal Runtime: SDK logs through pino, and the worker's Prometheus
 * metrics on TEMPORAL_WORKER_METRICS_PORT when it is not 0. Must run before the first worker
 * connection is made (createConfiguredReservationWorker calls it); later calls are no-ops.
 */
export function installTemporalRuntime(
  config: Pick<Config, 'TEMPORAL_WORKER_METRICS_PORT'>,
  logger: Logger,
): void {
  if (installed) return;
  installed = true;
  const port = config.TEMPORAL_WORKER_METRICS_PORT;
  try {
    Runtime.install({
      // The service owns SIGINT/SIGTERM (src/main): it drains HTTP and in-flight updates first and
      // shuts the worker down last. The SDK's default would stop workers on the signal itself.
      shutdownSignals: [],
      logger: new PinoTemporalLogger(logger.child({ component: 'temporal-sdk' })),
      ...(port > 0
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${port}` } } } }
        : {}),
    });
  } catch (error) {
    // Someone (a test harness) installed one first: keep it.
    logger.debug({ err: error }, 'Temporal runtime already installed');
  }
}
