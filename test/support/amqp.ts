import { requireEnv } from './db';
import { uniqueName } from './naming';

export interface TestVhost {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function management(method: string, path: string, body?: unknown): Promise<Response> {
  const base = new URL(requireEnv('AMQP_MANAGEMENT_URL'));
  const auth = Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64');
  base.username = '';
  base.password = '';
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok && res.status !== 404) {
    throw new Error(`RabbitMQ management ${method} ${path}: ${res.status} ${await res.text()}`);
  }
  return res;
}

/**
 * A vhost of this test file's own (through the management API), so exchanges and queues with the
 * contract's fixed names never collide between files running in parallel.
 */
export async function createTestVhost(prefix = 'inv_t'): Promise<TestVhost> {
  const name = uniqueName(prefix);
  const amqp = new URL(requireEnv('AMQP_URL'));
  const user = decodeURIComponent(amqp.username || 'guest');
  await management('PUT', `/api/vhosts/${encodeURIComponent(name)}`);
  await management('PUT', `/api/permissions/${encodeURIComponent(name)}/${encodeURIComponent(user)}`, {
    configure: '.*',
    write: '.*',
    read: '.*',
  });
  amqp.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: amqp.toString(),
    drop: async () => {
      await management('DELETE', `/api/vhosts/${encodeURIComponent(name)}`);
    },
  };
}

export async function queueDepth(vhost: string, queue: string): Promise<number> {
  const res = await management(
    'GET',
    `/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`,
  );
  if (res.status === 404) return 0;
  const body = (await res.json()) as { messages?: number };
  return body.messages ?? 0;
}

export interface QueueDetails {
  name: string;
  type: string;
  durable: boolean;
  arguments: Record<string, unknown>;
  messages?: number;
  consumers?: number;
}

/** A queue as the management API shows it (type, arguments, depth), or undefined when it does not exist. */
export async function queueDetails(vhost: string, queue: string): Promise<QueueDetails | undefined> {
  const res = await management(
    'GET',
    `/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`,
  );
  if (res.status === 404) return undefined;
  return (await res.json()) as QueueDetails;
}

/** An exchange as the management API shows it (the policy in force on it), or undefined. */
export async function exchangeDetails(
  vhost: string,
  exchange: string,
): Promise<
  { name: string; type: string; policy?: string | null; arguments: Record<string, unknown> } | undefined
> {
  const res = await management(
    'GET',
    `/api/exchanges/${encodeURIComponent(vhost)}/${encodeURIComponent(exchange)}`,
  );
  if (res.status === 404) return undefined;
  return (await res.json()) as {
    name: string;
    type: string;
    policy?: string | null;
    arguments: Record<string, unknown>;
  };
}
