import { Client, type ClientOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../../config';

/** The worker side's connection (Rust core); separate from the client's (the container's temporalConnection). */
export function createWorkerConnection(config: Pick<Config, 'TEMPORAL_ADDRESS'>): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
}

/**
 * A Temporal client over a native (Rust core) connection, connected on first use: what the
 * dispatchers use. Per workflow start it costs the process about half the CPU of the gRPC-js client
 * (docs/reserve-path.md, "The dispatchers' client"). A failed connect (Temporal down) fails that
 * call only; the next one connects again.
 */
export class NativeClientSource {
  private connecting: Promise<{ connection: NativeConnection; client: Client }> | undefined;
  private closed = false;

  constructor(
    private readonly options: { address: string } & Pick<ClientOptions, 'namespace' | 'interceptors'>,
  ) {}

  async client(): Promise<Client> {
    if (this.closed) throw new Error('the Temporal client source is closed');
    this.connecting ??= NativeConnection.connect({ address: this.options.address }).then(
      (connection) => ({
        connection,
        client: new Client({
          connection,
          namespace: this.options.namespace,
          interceptors: this.options.interceptors,
        }),
      }),
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return (await this.connecting).client;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    const open = await connecting?.catch(() => undefined);
    await open?.connection.close();
  }
}
