import {
  asFunction,
  asValue,
  createContainer,
  InjectionMode,
  type AwilixContainer,
  type Resolver,
} from 'awilix';
import type { Logger } from 'pino';
import { CryptoIdGenerator } from '../adapters/system/CryptoIdGenerator';
import { SystemClock } from '../adapters/system/SystemClock';
import type { Config } from '../config';
import type { Clock } from '../domain/ports/Clock';
import type { IdGenerator } from '../domain/ports/IdGenerator';
import { createLogger } from './logger';

/** Registrations every process has. Feature modules (persistence, temporal, messaging) add theirs. */
export interface BaseCradle {
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * One registration per member of a cradle, each resolving to that member's type: `register({...}
 * satisfies Registrations<XCradle>)` fails to compile when a member is missing or mistyped.
 */
export type Registrations<Cradle> = { [K in keyof Cradle]-?: Resolver<Cradle[K]> };

/**
 * A registration only the service container has: `metrics` (ServiceMetrics) and `tracing` (the
 * process's tracing pipeline, see tracing.ts). Undefined in the containers of scripts and tests.
 */
export function optionalRegistration<T>(
  container: AwilixContainer,
  name: 'metrics' | 'tracing',
): T | undefined {
  return container.hasRegistration(name) ? container.resolve<T>(name) : undefined;
}

export function createBaseContainer<C extends BaseCradle>(
  config: Config,
  logger?: Logger,
): AwilixContainer<C> {
  const container = createContainer<C>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(config),
    logger: asValue(logger ?? createLogger(config.LOG_LEVEL)),
    clock: asFunction((): Clock => new SystemClock()).singleton(),
    ids: asFunction((): IdGenerator => new CryptoIdGenerator()).singleton(),
  } satisfies Registrations<BaseCradle>);
  return container;
}
