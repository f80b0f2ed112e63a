import { tracingPipeline } from '../../tracing';
import { loadConfig, type Config } from '../config';
import { startService, type RunningService } from './service';

/**
 * The worker role on its own (ROLES is ignored here): the reservation and replenishment workflows and
 * activities and the replenishment dispatcher, polling TEMPORAL_TASK_QUEUE until SIGINT or SIGTERM;
 * then it stops polling, lets running tasks finish within SHUTDOWN_GRACE_MS, closes Temporal and
 * Postgres, and exits 0. Exits 1 when the worker fails.
 */
export async function runWorkerProcess(config: Config = loadConfig()): Promise<number> {
  let service: RunningService | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    service?.container.resolve('logger').info({ signal }, 'shutting down the reservation worker');
    void service?.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let exitCode = 0;
  try {
    service = await startService({ ...config, ROLES: ['worker'] }, { tracing: tracingPipeline() });
    const logger = service.container.resolve('logger');
    // A signal that arrived while connecting and bundling means: do not start polling at all.
    if (stopping) {
      await service.close();
    } else {
      logger.info(
        { taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE },
        'worker ready',
      );
      await service.workerStopped?.catch((error: unknown) => {
        logger.error({ err: error }, 'reservation worker failed');
        exitCode = 1;
      });
    }
  } catch (error) {
    console.error('reservation worker failed to start:', error);
    exitCode = 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await service?.close();
    // Export the spans still buffered before the process exits.
    await tracingPipeline()
      ?.shutdown()
      .catch(() => undefined);
  }
  return exitCode;
}

if (require.main === module) {
  runWorkerProcess().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
