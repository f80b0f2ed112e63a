import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../config';

type TemporalConfig = Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>;

/** The client side's gRPC connection (close it on shutdown). */
export function createTemporalConnection(config: TemporalConfig): Promise<Connection> {
  return Connection.connect({ address: config.TEMPORAL_ADDRESS });
}

export function createTemporalClient(connection: Connection, config: TemporalConfig): Client {
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

/** The worker side's connection (Rust core); separate from the client's. */
export function createWorkerConnection(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}
