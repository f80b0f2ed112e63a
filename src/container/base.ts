import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import pino, { type Logger } from 'pino';
import { CryptoIdGenerator } from '../adapters/system/CryptoIdGenerator';
import { SystemClock } from '../adapters/system/SystemClock';
import type { Config } from '../config';
import type { Clock } from '../domain/ports/Clock';
import type { IdGenerator } from '../domain/ports/IdGenerator';

/** Registrations every process has. Feature modules (persistence, temporal, messaging) add theirs. */
export interface BaseCradle {
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
}

export function createBaseContainer<C extends BaseCradle>(
  config: Config,
  logger?: Logger,
): AwilixContainer<C> {
  const container = createContainer<C>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(config),
    logger: asValue(logger ?? pino({ level: config.LOG_LEVEL, base: { service: 'inventory-service' } })),
    clock: asFunction(() => new SystemClock()).singleton(),
    ids: asFunction(() => new CryptoIdGenerator()).singleton(),
  } as never);
  return container;
}
