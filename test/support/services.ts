import { existsSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * Where the tests find Postgres, RabbitMQ and Temporal, in this order:
 *  1. URLs from the environment (DATABASE_URL, AMQP_URL, TEMPORAL_ADDRESS);
 *  2. Testcontainers, when a Docker engine answers;
 *  3. the local servers of `npm run setup` / `npm run services -- up`.
 */
export interface ServiceUrls {
  databaseUrl: string;
  amqpUrl: string;
  amqpManagementUrl: string;
  temporalAddress: string;
  source: 'env' | 'testcontainers' | 'local';
}

export const LOCAL: Omit<ServiceUrls, 'source'> = {
  databaseUrl: 'postgresql://inventory:inventory@127.0.0.1:5432/inventory',
  amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
  amqpManagementUrl: 'http://guest:guest@127.0.0.1:15672',
  temporalAddress: '127.0.0.1:7233',
};

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export async function dockerAvailable(): Promise<boolean> {
  if (process.env.TESTCONTAINERS_DISABLED === 'true') return false;
  const socketPath = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && !existsSync(socketPath)) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || defaultPort) };
}

/** Throws a message that says what to run when a local server is down. */
export async function assertReachable(urls: Omit<ServiceUrls, 'source'>): Promise<void> {
  const checks: [string, string, number][] = [
    ['Postgres', urls.databaseUrl, 5432],
    ['RabbitMQ', urls.amqpUrl, 5672],
    ['Temporal', urls.temporalAddress, 7233],
  ];
  const down: string[] = [];
  for (const [name, address, port] of checks) {
    const hp = hostPort(address, port);
    if (!(await portOpen(hp.host, hp.port))) down.push(`${name} at ${hp.host}:${hp.port}`);
  }
  if (down.length > 0) {
    throw new Error(
      `Test services unreachable: ${down.join(', ')}. Run 'npm run services -- up' ` +
        `(after 'npm run setup'), or set DATABASE_URL / AMQP_URL / TEMPORAL_ADDRESS.`,
    );
  }
}
