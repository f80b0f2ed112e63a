import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../config';

/** The worker side's connection (Rust core); separate from the client's (the container's temporalConnection). */
export function createWorkerConnection(config: Pick<Config, 'TEMPORAL_ADDRESS'>): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}
