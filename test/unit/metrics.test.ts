import { ServiceMetrics } from '../../src/adapters/observability/metrics';

describe('ServiceMetrics', () => {
  it('exposes the state gauges from their probes at scrape time', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    let below = 2;
    metrics.registerStateProbes({
      skusBelowSafetyStock: async () => below,
      outbox: async () => ({ pending: 3, oldestAgeSeconds: 1.5 }),
      deadLetterDepth: async () => 4,
      reservationsPastExpiry: async () => 0,
    });
    let text = await metrics.registry.metrics();
    expect(text).toMatch(/^inventory_skus_below_safety_stock 2$/m);
    expect(text).toMatch(/^inventory_outbox_pending_events 3$/m);
    expect(text).toMatch(/^inventory_outbox_oldest_pending_age_seconds 1.5$/m);
    expect(text).toMatch(/^inventory_dead_letter_queue_messages 4$/m);
    below = 5;
    text = await metrics.registry.metrics();
    expect(text).toMatch(/^inventory_skus_below_safety_stock 5$/m);
  });

  it('exposes the unrouted-events gauge from its probe', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    let unrouted = 0;
    metrics.registerStateProbes({ unroutedEvents: async () => unrouted });
    expect(await metrics.registry.metrics()).toMatch(/^inventory_unrouted_events_messages 0$/m);
    unrouted = 3;
    expect(await metrics.registry.metrics()).toMatch(/^inventory_unrouted_events_messages 3$/m);
  });

  it('keeps the last value when a probe fails instead of failing the scrape', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    let fail = false;
    metrics.registerStateProbes({
      deadLetterDepth: async () => {
        if (fail) throw new Error('broker down');
        return 7;
      },
    });
    await metrics.registry.metrics();
    fail = true;
    expect(await metrics.registry.metrics()).toMatch(/^inventory_dead_letter_queue_messages 7$/m);
  });

  it('counts by label', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    metrics.reservations.inc({ outcome: 'reserved' });
    metrics.reservations.inc({ outcome: 'reserved' });
    metrics.releases.inc({ reason: 'expired' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^inventory_reservations_total\{outcome="reserved"\} 2$/m);
    expect(text).toMatch(/^inventory_releases_total\{reason="expired"\} 1$/m);
  });
});
