import { Topology } from './topology';

/**
 * inventory.events' alternate exchange, as a policy: exchanges that already exist on running brokers
 * were declared without the `alternate-exchange` argument, and RabbitMQ refuses a re-declare with other
 * arguments, while a policy applies to an existing exchange at once (and old replicas' declarations
 * stay equivalent). The same policy by hand:
 *
 *   rabbitmqctl set_policy -p <vhost> --apply-to exchanges --priority 10 inventory-events-unrouted \
 *     '^inventory\.events$' '{"alternate-exchange":"inventory.events.unrouted"}'
 */
export const UNROUTED_POLICY = {
  name: 'inventory-events-unrouted',
  pattern: `^${Topology.inventoryExchange.replace(/\./g, '\\.')}$`,
  'apply-to': 'exchanges',
  priority: 10,
  definition: { 'alternate-exchange': Topology.unroutedExchange },
} as const;

export interface ManagementTarget {
  /** RabbitMQ management API, with credentials: http://user:pass@host:15672 */
  managementUrl: string;
  /** The AMQP URL whose vhost the policy is for. */
  amqpUrl: string;
  timeoutMs?: number;
}

export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path && path !== '/' ? decodeURIComponent(path.slice(1)) : '/';
}

async function management(target: ManagementTarget, method: string, path: string, body?: unknown) {
  const base = new URL(target.managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  base.username = '';
  base.password = '';
  const res = await fetch(new URL(path, base), {
    method,
    headers: { authorization: `Basic ${auth.toString('base64')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(target.timeoutMs ?? 5_000),
  });
  if (!res.ok) throw new Error(`RabbitMQ management ${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/**
 * Puts UNROUTED_POLICY on the vhost (idempotent) and returns the policy in force on inventory.events
 * afterwards: another policy of higher priority would shadow ours (only one policy applies per exchange).
 */
export async function applyUnroutedPolicy(target: ManagementTarget): Promise<string | undefined> {
  const vhost = encodeURIComponent(vhostOf(target.amqpUrl));
  const { name, ...policy } = UNROUTED_POLICY;
  await management(target, 'PUT', `/api/policies/${vhost}/${encodeURIComponent(name)}`, policy);
  const res = await management(
    target,
    'GET',
    `/api/exchanges/${vhost}/${encodeURIComponent(Topology.inventoryExchange)}`,
  );
  const exchange = (await res.json()) as { policy?: string | null };
  return exchange.policy ?? undefined;
}
