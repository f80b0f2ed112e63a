import type { AwilixContainer } from 'awilix';
import type { HealthCheck, ReadinessRoles, RoleRequirements } from '../adapters/http/ports';
import { postgresHealth } from '../adapters/postgres/probes';
import { taskQueuePollersHealth, temporalHealth } from '../adapters/temporal/health';
import type { Role } from '../config';
import type { BaseCradle } from '../container/base';
import { messagingHealthChecks, type MessagingCradle } from '../container/messaging';
import type { PersistenceCradle } from '../container/persistence';
import type { TemporalCradle } from '../container/temporal';

type Cradle = BaseCradle & PersistenceCradle & TemporalCradle & MessagingCradle;

export interface ProcessReadiness {
  checks: Record<string, HealthCheck>;
  readiness: ReadinessRoles;
}

/**
 * /health/ready of a process: the checks of the dependencies and components its roles use, and what
 * each role needs of them.
 *
 * - api: Postgres. In RESERVE_MODE=workflow a reserve is a workflow update, so also Temporal and a
 *   worker polling the task queue (from the server: in the split layout the worker is another
 *   process). In db mode those, and RabbitMQ, only delay work (workflow starts, events): degraded.
 * - worker: Postgres, Temporal and its own worker polling.
 * - bridge: its consumer attached, and Postgres (deduplication); Temporal down delays the signals.
 * - relay: active or standby; RabbitMQ down delays the events, which wait in the outbox.
 */
export function processReadiness(
  container: AwilixContainer<Cradle>,
  roles: ReadonlySet<Role>,
  worker: { health: HealthCheck } | undefined,
): ProcessReadiness {
  const config = container.resolve('config');
  // Connection.lazy: resolving it does not connect; the first check does.
  const temporalConnection = container.resolve('temporalConnection');
  const checks: Record<string, HealthCheck> = {
    postgres: postgresHealth(container.resolve('pgPool')),
    temporal: temporalHealth(temporalConnection, config.TEMPORAL_ADDRESS),
    ...messagingHealthChecks(container, { relay: roles.has('relay'), bridge: roles.has('bridge') }),
  };
  if (worker) checks.worker = worker.health;
  if (roles.has('api')) {
    checks.workerPollers = taskQueuePollersHealth(
      temporalConnection,
      config.TEMPORAL_NAMESPACE,
      config.TEMPORAL_TASK_QUEUE,
    );
  }

  const present = (...names: string[]) => names.filter((n) => n in checks);
  const needs: Partial<Record<Role, RoleRequirements>> = {};
  if (roles.has('api')) {
    const temporalSide = ['temporal', 'workerPollers'];
    needs.api =
      config.RESERVE_MODE === 'workflow'
        ? { required: present('postgres', ...temporalSide), degrading: present('rabbitmq') }
        : { required: present('postgres'), degrading: present(...temporalSide, 'rabbitmq') };
  }
  if (roles.has('worker')) needs.worker = { required: present('postgres', 'temporal', 'worker') };
  if (roles.has('bridge')) {
    needs.bridge = { required: present('bridge', 'postgres'), degrading: present('temporal') };
  }
  if (roles.has('relay')) needs.relay = { required: present('outboxRelay'), degrading: present('rabbitmq') };
  return {
    checks,
    readiness: {
      roles: needs as Record<string, RoleRequirements>,
      ...(roles.has('api') ? { decisive: 'api' } : {}),
    },
  };
}
