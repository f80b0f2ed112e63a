import type { ReleaseOutcome, ReservationView, ReserveOutcome } from '../../../src/application/contracts';
import type { ReservationOrchestratorPort } from '../../../src/application/ports';
import { ErrorCodes, ValidationError } from '../../../src/domain/errors';
import { Scrape } from '../../support/promText';
import { ServiceMetrics } from '../../../src/adapters/observability/metrics';
import {
  MeteredReservationOrchestrator,
  recordRelease,
  reserveOutcomeLabel,
} from '../../../src/adapters/observability/reservationMetrics';

const view = { orderId: 'o-1', status: 'RESERVED', lines: [] } as unknown as ReservationView;

async function sample(metrics: ServiceMetrics, name: string, labels: Record<string, string>) {
  return new Scrape(await metrics.registry.metrics()).value(name, labels);
}

describe('reservation metrics', () => {
  it('labels reserve outcomes: first reserve, idempotent repeat, and each refusal', () => {
    expect(reserveOutcomeLabel({ kind: 'reserved', created: true, reservation: view })).toBe('reserved');
    expect(reserveOutcomeLabel({ kind: 'reserved', created: false, reservation: view })).toBe('repeat');
    expect(reserveOutcomeLabel({ kind: 'insufficient-stock', lines: [] })).toBe('insufficient-stock');
    expect(reserveOutcomeLabel({ kind: 'unknown-sku', skus: ['X'] })).toBe('unknown-sku');
  });

  it('counts every reserve through the orchestrator by outcome, with its duration, errors included', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const outcomes: (ReserveOutcome | Error)[] = [
      { kind: 'reserved', created: true, reservation: view },
      { kind: 'reserved', created: false, reservation: view },
      { kind: 'insufficient-stock', lines: [] },
      new ValidationError(ErrorCodes.INVALID_QUANTITY, 'bad quantity'),
      new Error('Temporal unavailable'),
    ];
    const inner: ReservationOrchestratorPort = {
      reserve: async () => {
        const next = outcomes.shift()!;
        if (next instanceof Error) throw next;
        return next;
      },
      release: async () => ({ kind: 'not-found' }),
      extend: async () => ({ kind: 'not-found' }),
    };
    const orchestrator = new MeteredReservationOrchestrator(inner, metrics);
    const command = { orderId: 'o-1', lines: [{ sku: 'A', quantity: 1 }] };
    await orchestrator.reserve(command);
    await orchestrator.reserve(command);
    await orchestrator.reserve(command);
    await expect(orchestrator.reserve(command)).rejects.toThrow('bad quantity');
    await expect(orchestrator.reserve(command)).rejects.toThrow('Temporal unavailable');
    for (const outcome of ['reserved', 'repeat', 'insufficient-stock', 'invalid', 'error']) {
      expect(await sample(metrics, 'inventory_reservations_total', { outcome })).toBe(1);
      expect(await sample(metrics, 'inventory_reserve_duration_seconds_count', { outcome })).toBe(1);
    }
  });

  it("hands a release's and an extension's deadline to the orchestrator it wraps", async () => {
    const given: unknown[] = [];
    const inner: ReservationOrchestratorPort = {
      reserve: async () => ({ kind: 'unknown-sku', skus: [] }),
      release: async (_command, options) => {
        given.push(options);
        return { kind: 'not-found' };
      },
      extend: async (_command, options) => {
        given.push(options);
        return { kind: 'not-found' };
      },
    };
    const orchestrator = new MeteredReservationOrchestrator(
      inner,
      new ServiceMetrics({ defaultMetrics: false }),
    );
    const deadline = new Date(Date.now() + 1_000);
    await orchestrator.release({ orderId: 'o-1', reason: 'released' }, { deadline });
    await orchestrator.extend({ orderId: 'o-1', ttlSeconds: 60 }, { deadline });
    expect(given).toEqual([{ deadline }, { deadline }]);
  });

  it('counts a release by reason only when it changed stock', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const changed: ReleaseOutcome = { kind: 'released', changed: true, reservation: view };
    const noop: ReleaseOutcome = { kind: 'released', changed: false, reservation: view };
    recordRelease(metrics, { reason: 'cancelled' }, changed);
    recordRelease(metrics, { reason: 'cancelled' }, noop);
    recordRelease(metrics, { reason: 'expired' }, changed);
    recordRelease(metrics, { reason: 'released' }, { kind: 'not-found' });
    expect(await sample(metrics, 'inventory_releases_total', { reason: 'cancelled' })).toBe(1);
    expect(await sample(metrics, 'inventory_releases_total', { reason: 'expired' })).toBe(1);
    expect(await sample(metrics, 'inventory_releases_total', { reason: 'released' })).toBeUndefined();
  });
});
