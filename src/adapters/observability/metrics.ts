import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus series. Adapters record into these; nothing in the domain does.
 * Gauges that describe stored state (below safety stock, outbox lag, DLQ depth, overdue reservations)
 * are computed at scrape time by the probes given to `registerStateProbes`.
 */
export interface StateProbes {
  skusBelowSafetyStock?: () => Promise<number>;
  outbox?: () => Promise<{ pending: number; oldestAgeSeconds: number }>;
  deadLetterDepth?: () => Promise<number>;
  reservationsPastExpiry?: () => Promise<number>;
  workflowRequests?: () => Promise<{ pending: number; oldestAgeSeconds: number }>;
  unmatchedOrderDecisions?: () => Promise<number>;
  unroutedEvents?: () => Promise<number>;
}

export class ServiceMetrics {
  readonly registry: Registry;
  readonly reservations: Counter<'outcome'>;
  readonly releases: Counter<'reason'>;
  readonly reserveDuration: Histogram<'outcome'>;
  readonly eventPublishLatency: Histogram<'event_type'>;
  readonly eventsPublished: Counter<'event_type'>;
  readonly bridgeMessages: Counter<'type' | 'outcome'>;
  readonly workflowDispatchLag: Histogram<'kind'>;
  private probes: StateProbes = {};

  constructor(options: { defaultMetrics?: boolean; registry?: Registry } = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.reservations = new Counter({
      name: 'inventory_reservations_total',
      help: 'Reserve requests by outcome (reserved, repeat, insufficient-stock, unknown-sku, quantity-conflict, reservation-closed, invalid, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.releases = new Counter({
      name: 'inventory_releases_total',
      help: 'Reservation releases that changed stock, by reason (cancelled, expired, released)',
      labelNames: ['reason'],
      registers,
    });
    this.reserveDuration = new Histogram({
      name: 'inventory_reserve_duration_seconds',
      help: 'Reserve through the reservation workflow (Update-With-Start round trip), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.eventPublishLatency = new Histogram({
      name: 'inventory_event_publish_latency_seconds',
      help: 'From the event being committed to the outbox to the broker confirming its publication',
      labelNames: ['event_type'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    });
    this.eventsPublished = new Counter({
      name: 'inventory_events_published_total',
      help: 'Events published on inventory.events and confirmed by the broker',
      labelNames: ['event_type'],
      registers,
    });
    this.bridgeMessages = new Counter({
      name: 'inventory_bridge_messages_total',
      help: 'order.events messages handled by the bridge, by type and outcome (signalled, no-workflow, duplicate, recorded, dead-lettered, retried)',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.workflowDispatchLag = new Histogram({
      name: 'inventory_workflow_dispatch_lag_seconds',
      help: 'From a workflow request being committed (a reserve: start the workflow; a decision) to Temporal accepting its signalWithStart, by kind',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    const probe =
      <T>(read: () => Promise<T | undefined> | undefined, set: (v: T) => void) =>
      async () => {
        try {
          const value = await read();
          if (value !== undefined) set(value);
        } catch {
          // A failing probe must not fail the scrape; the series keeps its last value.
        }
      };
    const probes = () => this.probes;
    new Gauge({
      name: 'inventory_skus_below_safety_stock',
      help: 'SKUs whose available stock is below their safety stock',
      registers,
      async collect() {
        await probe(
          () => probes().skusBelowSafetyStock?.(),
          (v) => this.set(v),
        )();
      },
    });
    // Both outbox gauges come from one probe call per scrape (prom-client collects gauges in parallel).
    let outboxRead:
      { at: number; value: Promise<{ pending: number; oldestAgeSeconds: number } | undefined> } | undefined;
    const readOutbox = () => {
      if (!outboxRead || Date.now() - outboxRead.at > 250) {
        outboxRead = { at: Date.now(), value: Promise.resolve(probes().outbox?.()) };
      }
      return outboxRead.value;
    };
    new Gauge({
      name: 'inventory_outbox_pending_events',
      help: 'Events in the outbox not yet published',
      registers,
      async collect() {
        await probe(readOutbox, (v) => this.set(v.pending))();
      },
    });
    new Gauge({
      name: 'inventory_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest event not yet published from the outbox (0 when none)',
      registers,
      async collect() {
        await probe(readOutbox, (v) => this.set(v.oldestAgeSeconds))();
      },
    });
    new Gauge({
      name: 'inventory_dead_letter_queue_messages',
      help: 'Messages waiting in the order-events dead-letter queue (inventory.order-events.dead.v2)',
      registers,
      async collect() {
        await probe(
          () => probes().deadLetterDepth?.(),
          (v) => this.set(v),
        )();
      },
    });
    new Gauge({
      name: 'inventory_unrouted_events_messages',
      help: 'Events in inventory.events.unrouted: published on inventory.events while no queue was bound for their routing key',
      registers,
      async collect() {
        await probe(
          () => probes().unroutedEvents?.(),
          (v) => this.set(v),
        )();
      },
    });
    new Gauge({
      name: 'inventory_reservations_past_expiry',
      help: 'Reservations still RESERVED more than a minute after their expiry',
      registers,
      async collect() {
        await probe(
          () => probes().reservationsPastExpiry?.(),
          (v) => this.set(v),
        )();
      },
    });
    this.registerWorkflowRequestGauges(registers);
  }

  registerStateProbes(probes: StateProbes): void {
    this.probes = { ...this.probes, ...probes };
  }

  private registerWorkflowRequestGauges(registers: Registry[]): void {
    const probes = () => this.probes;
    let read:
      { at: number; value: Promise<{ pending: number; oldestAgeSeconds: number } | undefined> } | undefined;
    const readRequests = () => {
      if (!read || Date.now() - read.at > 250) {
        read = {
          at: Date.now(),
          value: Promise.resolve(probes().workflowRequests?.()).catch(() => undefined),
        };
      }
      return read.value;
    };
    new Gauge({
      name: 'inventory_workflow_requests_backlog',
      help: 'Workflow requests (start, decisions) committed and not yet accepted by Temporal',
      registers,
      async collect() {
        const v = await readRequests();
        if (v) this.set(v.pending);
      },
    });
    new Gauge({
      name: 'inventory_workflow_requests_oldest_age_seconds',
      help: 'Age of the oldest workflow request not yet accepted by Temporal (0 when none)',
      registers,
      async collect() {
        const v = await readRequests();
        if (v) this.set(v.oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'inventory_order_decisions_unmatched',
      help: 'order-service decisions (confirm, cancel) that arrived before any reservation of their order',
      registers,
      async collect() {
        const v = await Promise.resolve(probes().unmatchedOrderDecisions?.()).catch(() => undefined);
        if (v !== undefined) this.set(v);
      },
    });
  }
}
