import type { ReserveMode } from '../../src/config';
import { ServiceProcess, type ServiceProcessOptions } from '../support/serviceProcess';
import type { FaultRabbit, FaultTemporal } from './servers';

export type ProcessRole = 'api' | 'worker';

export interface ClusterOptions {
  databaseUrl: string;
  amqpUrl: string;
  taskQueue: string;
  jwtSecret: string;
  mode: ReserveMode;
  rabbit: FaultRabbit;
  temporal: FaultTemporal;
}

const ROLES: Record<ProcessRole, string> = { api: 'api', worker: 'worker,bridge,relay' };

/** GET /health/ready: the api's own listener, or the ops listener of a process without the api role. */
async function httpReady(baseUrl: string): Promise<true | string> {
  try {
    const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    const text = await res.text();
    return res.status === 200 ? true : `${res.status} ${text}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The documented split layout: two `ROLES=api` processes behind a client-side load balancer and two
 * `ROLES=worker,bridge,relay` processes, all on the scenario's database, vhost and task queue.
 */
export class ServiceCluster {
  readonly apis: ServiceProcess[] = [];
  readonly workers: ServiceProcess[] = [];

  private constructor(private readonly options: ClusterOptions) {}

  static async start(options: ClusterOptions): Promise<ServiceCluster> {
    const cluster = new ServiceCluster(options);
    try {
      const started = await Promise.all([
        cluster.spawn('api'),
        cluster.spawn('api'),
        cluster.spawn('worker'),
        cluster.spawn('worker'),
      ]);
      cluster.apis.push(started[0], started[1]);
      cluster.workers.push(started[2], started[3]);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get all(): ServiceProcess[] {
    return [...this.apis, ...this.workers];
  }

  /** Base URLs of the api processes, as a load balancer would see them right now. */
  get apiUrls(): string[] {
    return this.apis.map((a) => a.url);
  }

  /** Started and awaited until GET /health/ready answers 200 (on the ops listener for a worker). */
  private spawn(role: ProcessRole): Promise<ServiceProcess> {
    const { databaseUrl, amqpUrl, taskQueue, jwtSecret, mode, temporal, rabbit } = this.options;
    const options: ServiceProcessOptions = {
      databaseUrl,
      amqpUrl,
      jwtSecret,
      taskQueue,
      readyTimeoutMs: 120_000,
      env: {
        ROLES: ROLES[role],
        RESERVE_MODE: mode,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        // As in production: queue depths for metrics, the alternate-exchange policy applied by the relay.
        AMQP_MANAGEMENT_URL: rabbit.managementUrl,
        DATABASE_POOL_SIZE: '8',
        SHUTDOWN_GRACE_MS: '3000',
      },
    };
    return ServiceProcess.start(options);
  }

  /** SIGKILL (the whole process group), then a fresh process of the same role, awaited until ready. */
  async killAndRestart(
    role: ProcessRole,
    index: number,
  ): Promise<{ killedPid: number; restarted: ServiceProcess }> {
    const list = role === 'api' ? this.apis : this.workers;
    const victim = list[index]!;
    await victim.kill();
    const restarted = await this.spawn(role);
    list[index] = restarted;
    return { killedPid: victim.pid, restarted };
  }

  /** Why each process is not ready, or an empty list when every one is. */
  async notReady(): Promise<string[]> {
    const problems: string[] = [];
    for (const p of this.all) {
      if (p.exited) {
        problems.push(`${p.env.ROLES} ${p.pid} exited`);
        continue;
      }
      const ready = await httpReady(p.url);
      if (ready !== true) problems.push(`${p.env.ROLES} ${p.pid}: ${ready}`);
    }
    return problems;
  }

  output(): string {
    return this.all.map((p) => `### ${p.env.ROLES} pid ${p.pid}\n${p.tail(40)}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.all.map(async (p) => {
        await p.stop({ expectExitCode: null, timeoutMs: 15_000 }).catch(() => undefined);
        await p.kill();
      }),
    );
  }
}
