import type {
  ConfirmCommand,
  ConfirmOutcome,
  LineStatus,
  ReleaseCommand,
  ReleaseOutcome,
  ReleaseReason,
  ReservationStatus,
  ReservationView,
  ReserveCommand,
  ReserveOutcome,
} from '../../../src/application/contracts';
import type { ReservationUseCases } from '../../../activities';
import { ErrorCodes, ValidationError } from '../../../src/domain/errors';

const SKU = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;

interface Line {
  sku: string;
  quantity: number;
  status: LineStatus;
}

interface Reservation {
  orderId: string;
  status: ReservationStatus;
  lines: Line[];
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  releaseReason?: ReleaseReason;
}

export interface LedgerEntry {
  type: 'RESERVE' | 'RELEASE' | 'COMMIT';
  orderId: string;
  sku: string;
  quantity: number;
  reason?: ReleaseReason;
}

/**
 * In-memory stand-in for InventoryService's reservation use cases, with the same idempotency rules
 * (state checked before every change) and a ledger that proves what was applied, and how often.
 */
export class FakeInventory implements ReservationUseCases {
  readonly stock = new Map<string, { onHand: number; reserved: number }>();
  readonly reservations = new Map<string, Reservation>();
  readonly ledger: LedgerEntry[] = [];
  readonly calls: { op: 'reserve' | 'release' | 'confirm'; command: unknown }[] = [];
  /** Set to make the next N calls of an operation throw (a transient infrastructure failure). */
  readonly failures = new Map<string, number>();

  /** `now` is the clock the reservation's expiry is computed from (the test server's virtual clock). */
  constructor(private readonly now: () => Promise<number>) {}

  seed(sku: string, onHand: number): void {
    this.stock.set(sku, { onHand, reserved: 0 });
  }

  entries(orderId: string, type?: LedgerEntry['type']): LedgerEntry[] {
    return this.ledger.filter((e) => e.orderId === orderId && (!type || e.type === type));
  }

  private maybeFail(op: string): void {
    const left = this.failures.get(op) ?? 0;
    if (left > 0) {
      this.failures.set(op, left - 1);
      throw new Error(`injected ${op} failure`);
    }
  }

  private view(r: Reservation): ReservationView {
    return {
      orderId: r.orderId,
      status: r.status,
      lines: r.lines.map((l) => ({ ...l })),
      expiresAt: new Date(r.expiresAt).toISOString(),
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
      ...(r.releaseReason ? { releaseReason: r.releaseReason } : {}),
    };
  }

  async reserve(command: ReserveCommand): Promise<ReserveOutcome> {
    this.calls.push({ op: 'reserve', command });
    this.maybeFail('reserve');
    const bad = command.lines.find((l) => !SKU.test(l.sku));
    if (bad) throw new ValidationError(ErrorCodes.INVALID_SKU, `Invalid SKU "${bad.sku}"`, { sku: bad.sku });
    const now = await this.now();
    const existing = this.reservations.get(command.orderId);
    if (existing && existing.status !== 'RESERVED')
      return { kind: 'reservation-closed', reservation: this.view(existing) };
    const unknown = command.lines.filter((l) => !this.stock.has(l.sku)).map((l) => l.sku);
    if (unknown.length > 0) return { kind: 'unknown-sku', skus: unknown };
    const conflicts = command.lines.flatMap((l) => {
      const line = existing?.lines.find((x) => x.sku === l.sku);
      return line && line.quantity !== l.quantity
        ? [{ sku: l.sku, reserved: line.quantity, requested: l.quantity }]
        : [];
    });
    if (conflicts.length > 0) return { kind: 'quantity-conflict', lines: conflicts };
    const fresh = command.lines.filter((l) => !existing?.lines.some((x) => x.sku === l.sku));
    const short = fresh.flatMap((l) => {
      const s = this.stock.get(l.sku)!;
      const available = s.onHand - s.reserved;
      return available < l.quantity ? [{ sku: l.sku, requested: l.quantity, available }] : [];
    });
    if (short.length > 0) return { kind: 'insufficient-stock', lines: short };
    const r: Reservation = existing ?? {
      orderId: command.orderId,
      status: 'RESERVED',
      lines: [],
      expiresAt: now + (command.ttlSeconds ?? 900) * 1000,
      createdAt: now,
      updatedAt: now,
    };
    for (const l of fresh) {
      this.stock.get(l.sku)!.reserved += l.quantity;
      r.lines.push({ sku: l.sku, quantity: l.quantity, status: 'RESERVED' });
      this.ledger.push({ type: 'RESERVE', orderId: r.orderId, sku: l.sku, quantity: l.quantity });
    }
    r.updatedAt = now;
    this.reservations.set(r.orderId, r);
    return { kind: 'reserved', created: fresh.length > 0, reservation: this.view(r) };
  }

  async release(command: ReleaseCommand): Promise<ReleaseOutcome> {
    this.calls.push({ op: 'release', command });
    this.maybeFail('release');
    const r = this.reservations.get(command.orderId);
    if (!r) return { kind: 'not-found' };
    const targets = command.sku ? r.lines.filter((l) => l.sku === command.sku) : r.lines;
    if (command.sku && targets.length === 0) return { kind: 'line-not-found' };
    let changed = false;
    for (const l of targets) {
      if (l.status !== 'RESERVED') continue;
      this.stock.get(l.sku)!.reserved -= l.quantity;
      l.status = 'RELEASED';
      changed = true;
      this.ledger.push({
        type: 'RELEASE',
        orderId: r.orderId,
        sku: l.sku,
        quantity: l.quantity,
        reason: command.reason,
      });
    }
    if (changed) {
      r.updatedAt = await this.now();
      if (r.status === 'RESERVED' && !r.lines.some((l) => l.status === 'RESERVED')) {
        r.status = r.lines.some((l) => l.status === 'CONFIRMED') ? 'CONFIRMED' : 'RELEASED';
        if (r.status === 'RELEASED') r.releaseReason = command.reason;
      }
    }
    return { kind: 'released', changed, reservation: this.view(r) };
  }

  async confirm(command: ConfirmCommand): Promise<ConfirmOutcome> {
    this.calls.push({ op: 'confirm', command });
    this.maybeFail('confirm');
    const r = this.reservations.get(command.orderId);
    if (!r) return { kind: 'not-found' };
    if (r.status === 'RELEASED') return { kind: 'reservation-released', reservation: this.view(r) };
    let changed = false;
    for (const l of r.lines) {
      if (l.status !== 'RESERVED') continue;
      const s = this.stock.get(l.sku)!;
      s.reserved -= l.quantity;
      s.onHand -= l.quantity;
      l.status = 'CONFIRMED';
      changed = true;
      this.ledger.push({ type: 'COMMIT', orderId: r.orderId, sku: l.sku, quantity: l.quantity });
    }
    if (changed) r.updatedAt = await this.now();
    r.status = 'CONFIRMED';
    return { kind: 'confirmed', changed, reservation: this.view(r) };
  }
}
