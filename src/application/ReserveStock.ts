import { OrderId } from '../domain/OrderId';
import type { TransactionalRepositories } from '../domain/ports/UnitOfWorkPort';
import type { ProductInventory } from '../domain/ProductInventory';
import { Reservation, type RequestedLine } from '../domain/Reservation';
import type { StockChange } from '../domain/SafetyStockPolicy';
import { TtlSeconds } from '../domain/TtlSeconds';
import type { ConflictingLine, ReserveCommand, ReserveOutcome, ShortLine } from './contracts';
import type { CommandDependencies } from './dependencies';
import { parseDeadline, parseLines, refusePastDeadline } from './input';
import { toOutboxMessages } from './outbox';
import { reviewSafetyStock } from './safetyStock';
import { releaseExpiredReservation } from './settleLines';
import { toReservationView } from './views';

export interface ReserveStockDependencies extends CommandDependencies {
  /** Used when the command has no ttlSeconds (configuration; 900 when absent). */
  defaultTtlSeconds?: number;
}

export interface ReserveOptions {
  /**
   * RESERVE_MODE=db: the caller is the HTTP façade, not the order's workflow. A reserve that creates or
   * extends the reservation also records, in its transaction, the request to start (or join) the
   * order's workflow, which then owns the TTL and the decisions.
   */
  startWorkflow?: boolean;
}

/**
 * Reserves every line of an order or none. A repeat of lines already reserved with the same quantity
 * is a no-op; lines for SKUs the order does not have yet join its reservation (the expiry stays the
 * one the first reserve set).
 *
 * Expiry does not wait for a worker: a reservation past its expiresAt is closed (released with reason
 * `expired`) by the first command that meets it here, and the expired lines of other orders that hold
 * the stock a line needs are released before the line is judged short. The workflow's own expiry later
 * finds them done.
 */
export class ReserveStock {
  constructor(private readonly deps: ReserveStockDependencies) {}

  async execute(command: ReserveCommand, options: ReserveOptions = {}): Promise<ReserveOutcome> {
    const orderId = OrderId.of(command.orderId);
    const lines = parseLines(command.lines);
    const ttl = TtlSeconds.orDefault(command.ttlSeconds, this.deps.defaultTtlSeconds);
    const deadline = parseDeadline(command.deadline);
    this.assertBefore(deadline);

    const work = async (tx: TransactionalRepositories) => {
      const now = this.deps.clock.now();
      // The order's lock and read and every requested SKU's row lock, issued together (a Postgres
      // adapter sends them in one round trip, in this order). Rows locked for lines the order already
      // holds stay unchanged.
      const [existing, stock] = await Promise.all([
        tx.reservations.lockByOrderId(orderId),
        tx.inventory.lockForUpdate(lines.map((l) => l.sku)),
      ]);
      if (existing?.isExpiredAt(now)) {
        await releaseExpiredReservation(tx, existing, { ids: this.deps.ids, now });
        return { kind: 'reservation-closed', reservation: toReservationView(existing) } as const;
      }
      if (existing && !existing.isOpen) {
        return { kind: 'reservation-closed', reservation: toReservationView(existing) } as const;
      }

      const fresh: RequestedLine[] = [];
      const conflicts: ConflictingLine[] = [];
      for (const line of lines) {
        const current = existing?.line(line.sku);
        if (!current) fresh.push(line);
        else if (current.status !== 'RESERVED') {
          // That line was released on its own: it does not come back.
          return { kind: 'reservation-closed', reservation: toReservationView(existing!) } as const;
        } else if (!current.quantity.equals(line.quantity)) {
          conflicts.push({
            sku: line.sku.value,
            reserved: current.quantity.value,
            requested: line.quantity.value,
          });
        }
      }
      if (conflicts.length > 0) return { kind: 'quantity-conflict', lines: conflicts } as const;
      if (fresh.length === 0) {
        return { kind: 'reserved', created: false, reservation: toReservationView(existing!) } as const;
      }

      const unknown = fresh.filter((l) => !stock.has(l.sku.value)).map((l) => l.sku.value);
      if (unknown.length > 0) return { kind: 'unknown-sku', skus: unknown } as const;
      const shortOf = () =>
        fresh
          .map((l) => ({ line: l, inventory: stock.get(l.sku.value)! }))
          .filter(({ line, inventory }) => !inventory.canReserve(line.quantity));
      let short = shortOf();
      const freed: ProductInventory[] = [];
      if (short.length > 0) {
        const expired = await tx.reservations.lockExpiredOn(
          short.map((s) => s.line.sku),
          now,
        );
        freed.push(...this.releaseExpiredLines(expired, stock, now));
        for (const reservation of expired) await tx.reservations.save(reservation);
        short = shortOf();
      }
      if (short.length > 0) {
        const lines: ShortLine[] = short.map(({ line, inventory }) => ({
          sku: line.sku.value,
          requested: line.quantity.value,
          available: inventory.available,
        }));
        if (freed.length === 0) return { kind: 'insufficient-stock', lines } as const;
        // Commit what the expired lines gave back; the answer stays "short".
        await this.persistStock(tx, freed, now, 'RELEASE');
        return { kind: 'insufficient-stock', lines } as const;
      }

      const expiresAt = existing?.expiresAt ?? ttl.expiryFrom(now);
      const touched = new Set<ProductInventory>(freed);
      for (const line of fresh) {
        const inventory = stock.get(line.sku.value)!;
        inventory.reserve(orderId, line.quantity, expiresAt, now);
        touched.add(inventory);
      }
      let reservation: Reservation;
      if (existing) {
        existing.addLines(fresh, now);
        reservation = existing;
      } else {
        reservation = Reservation.create({ orderId, lines: fresh, expiresAt, now });
      }

      await tx.reservations.save(reservation);
      await this.persistStock(tx, [...touched], now, 'RESERVE');
      if (options.startWorkflow) await tx.workflowRequests.request([{ orderId, kind: 'start' }]);
      // Checked last, inside the transaction: a reserve that missed its caller's deadline rolls back.
      this.assertBefore(deadline);
      return { kind: 'reserved', created: true, reservation: toReservationView(reservation) } as const;
    };
    // The deadline also bounds the transaction itself: one still open then is rolled back.
    return this.deps.unitOfWork.run(work, deadline ? { deadline } : undefined);
  }

  private async persistStock(
    tx: TransactionalRepositories,
    touched: ProductInventory[],
    now: Date,
    change: StockChange,
  ) {
    await tx.inventory.save(touched);
    const review = await reviewSafetyStock(tx, touched, change, { ids: this.deps.ids, now });
    await tx.outbox.record(
      toOutboxMessages([...touched.flatMap((i) => i.pullEvents()), ...review.events], this.deps.ids),
    );
  }

  /** Releases the expired lines of these reservations that sit on the locked stock rows. */
  private releaseExpiredLines(
    expired: readonly Reservation[],
    stock: ReadonlyMap<string, ProductInventory>,
    now: Date,
  ): ProductInventory[] {
    const freed = new Set<ProductInventory>();
    for (const reservation of expired) {
      for (const line of reservation.lines) {
        const inventory = stock.get(line.sku.value);
        if (!inventory || line.status !== 'RESERVED') continue;
        reservation.release('expired', now, line.sku);
        inventory.release(reservation.orderId, line.quantity, 'expired', now);
        freed.add(inventory);
      }
    }
    return [...freed];
  }

  private assertBefore(deadline: Date | undefined): void {
    refusePastDeadline(deadline, this.deps.clock.now(), 'reserve', 'reserved');
  }
}
