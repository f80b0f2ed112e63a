import { getPriority, setPriority } from 'node:os';
import { tracingPipeline } from '../../tracing';
import { ConfigError, jwtSecret, loadConfig } from '../config';
import { loadEnvFile } from '../config/envFile';
import { startService } from './service';

/**
 * The service: ROLES (default api,worker,bridge,relay) in one process. SIGINT/SIGTERM shut it down
 * gracefully: stop accepting, drain in-flight requests, stop consumers and the worker, close pools.
 */
async function main(): Promise<void> {
  let config;
  try {
    loadEnvFile();
    config = loadConfig();
    // Refuse to serve HTTP without a real secret, before connecting to anything.
    if (config.ROLES.includes('api')) jwtSecret(config);
    // Before any pool, worker or runtime thread exists: Linux threads inherit their creator's nice.
    // Only ever lowered (raising it again needs privileges).
    if (config.PROCESS_NICE > getPriority()) setPriority(config.PROCESS_NICE);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const service = await startService(config, { tracing: tracingPipeline() });
  const logger = service.container.resolve('logger');
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A second signal, or a drain that hangs past the grace period, exits hard.
    const hard = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 5000);
    hard.unref();
    service
      .close()
      // Export the spans still buffered (the last requests' traces) before the process goes.
      .then(() => tracingPipeline()?.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error('inventory-service failed to start:', error);
  process.exit(1);
});
