import { DomainError, ErrorCodes, ValidationError } from './errors';
import type { OrderId } from './OrderId';
import type { Quantity } from './Quantity';
import type { ReleaseReason } from './ReleaseReason';
import type { Sku } from './Sku';
import type { TtlSeconds } from './TtlSeconds';

export const RESERVATION_STATUSES = ['RESERVED', 'CONFIRMED', 'RELEASED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export type LineStatus = ReservationStatus;

export interface ReservationLine {
  readonly sku: Sku;
  readonly quantity: Quantity;
  readonly status: LineStatus;
}

export interface RequestedLine {
  readonly sku: Sku;
  readonly quantity: Quantity;
}

/** What the consistency rule needs of a stored reservation. */
export interface ReservationSnapshot {
  readonly status: ReservationStatus;
  readonly releaseReason: string | null;
  readonly lineStatuses: readonly LineStatus[];
}

/**
 * The states Reservation's transitions can reach, as a check on stored data: RESERVED iff some line
 * is still RESERVED; CONFIRMED iff some line is CONFIRMED (confirm commits every open line, and a
 * reservation whose lines were all released is RELEASED, never confirmed); RELEASED iff every line is
 * RELEASED (a reservation closed before any reserve has none); a release reason iff RELEASED. Returns
 * one sentence per rule broken, none when consistent.
 */
export function reservationInconsistencies(r: ReservationSnapshot): string[] {
  const count = (status: LineStatus) => r.lineStatuses.filter((s) => s === status).length;
  const open = count('RESERVED');
  const confirmed = count('CONFIRMED');
  const problems: string[] = [];
  // Closed before anything was reserved (closedBeforeReserve): RELEASED without lines.
  if (r.lineStatuses.length === 0 && r.status !== 'RELEASED') problems.push('has no lines');
  if (r.status === 'RESERVED' && open === 0 && r.lineStatuses.length > 0) {
    problems.push('is RESERVED but none of its lines is');
  }
  if (r.status !== 'RESERVED' && open > 0)
    problems.push(`is ${r.status} but ${open} line(s) are still RESERVED`);
  if (r.status === 'CONFIRMED' && confirmed === 0 && r.lineStatuses.length > 0) {
    problems.push('is CONFIRMED but none of its lines is');
  }
  if (r.status !== 'CONFIRMED' && confirmed > 0)
    problems.push(`is ${r.status} but ${confirmed} line(s) are CONFIRMED`);
  if (r.status === 'RELEASED' && r.releaseReason === null)
    problems.push('is RELEASED without a release reason');
  if (r.status !== 'RELEASED' && r.releaseReason !== null) {
    problems.push(`is ${r.status} but has the release reason ${r.releaseReason}`);
  }
  return problems;
}

export interface ReservationProps {
  orderId: OrderId;
  status: ReservationStatus;
  releaseReason: ReleaseReason | null;
  lines: ReservationLine[];
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  /** The persisted version this instance was loaded at (0 for a new one). */
  version: number;
}

/**
 * The units blocked for one order, one line per SKU. Legal moves:
 *   reservation RESERVED → CONFIRMED (every still-reserved line is committed)
 *   reservation RESERVED → RELEASED  (once no line is left reserved, with the reason of that release)
 *   line RESERVED → CONFIRMED | RELEASED
 * Lines may join only while the reservation is RESERVED (another SKU of the same order). Nothing
 * leaves CONFIRMED or RELEASED. Stock levels move in ProductInventory; this aggregate says which lines
 * move and by how much.
 */
export class Reservation {
  private changed = false;

  private constructor(
    private readonly props: ReservationProps,
    readonly isNew: boolean,
  ) {}

  static create(params: {
    orderId: OrderId;
    lines: readonly RequestedLine[];
    expiresAt: Date;
    now: Date;
  }): Reservation {
    Reservation.assertDistinct(params.lines, []);
    if (params.lines.length === 0) {
      throw new ValidationError(ErrorCodes.INVALID_LINES, 'A reservation needs at least one line');
    }
    return Reservation.created({
      orderId: params.orderId,
      status: 'RESERVED',
      releaseReason: null,
      lines: params.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, status: 'RESERVED' })),
      expiresAt: params.expiresAt,
      now: params.now,
    });
  }

  /**
   * The order was cancelled (or released) before anything was reserved for it: a RELEASED reservation
   * without lines, so that a reserve arriving later finds it closed and holds nothing.
   */
  static closedBeforeReserve(params: { orderId: OrderId; reason: ReleaseReason; now: Date }): Reservation {
    return Reservation.created({
      orderId: params.orderId,
      status: 'RELEASED',
      releaseReason: params.reason,
      lines: [],
      expiresAt: params.now,
      now: params.now,
    });
  }

  private static created(
    props: Omit<ReservationProps, 'createdAt' | 'updatedAt' | 'version'> & { now: Date },
  ): Reservation {
    const { now, ...rest } = props;
    const reservation = new Reservation({ ...rest, createdAt: now, updatedAt: now, version: 0 }, true);
    reservation.changed = true;
    return reservation;
  }

  static restore(props: ReservationProps): Reservation {
    const problems = reservationInconsistencies({
      status: props.status,
      releaseReason: props.releaseReason,
      lineStatuses: props.lines.map((l) => l.status),
    });
    if (problems.length > 0) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `Stored reservation of order ${props.orderId.value} is inconsistent: it ${problems.join('; ')}`,
        { orderId: props.orderId.value, status: props.status, problems },
      );
    }
    return new Reservation({ ...props, lines: [...props.lines] }, false);
  }

  get orderId(): OrderId {
    return this.props.orderId;
  }
  get status(): ReservationStatus {
    return this.props.status;
  }
  get releaseReason(): ReleaseReason | null {
    return this.props.releaseReason;
  }
  get lines(): readonly ReservationLine[] {
    return this.props.lines;
  }
  get expiresAt(): Date {
    return this.props.expiresAt;
  }
  get createdAt(): Date {
    return this.props.createdAt;
  }
  get updatedAt(): Date {
    return this.props.updatedAt;
  }
  get version(): number {
    return this.props.version;
  }
  get hasChanges(): boolean {
    return this.changed;
  }
  get isOpen(): boolean {
    return this.props.status === 'RESERVED';
  }

  line(sku: Sku): ReservationLine | undefined {
    return this.props.lines.find((l) => l.sku.equals(sku));
  }

  /** Another SKU of the same order joins; its expiry stays the one set by the first reserve. */
  addLines(lines: readonly RequestedLine[], now: Date): void {
    this.assertOpen('add lines to');
    Reservation.assertDistinct(lines, this.props.lines);
    if (lines.length === 0) return;
    for (const l of lines) this.props.lines.push({ sku: l.sku, quantity: l.quantity, status: 'RESERVED' });
    this.touch(now);
  }

  /**
   * Releases one SKU's line, or every still-reserved line when `sku` is absent. Returns the lines
   * released (their units go back to stock). Once none is left reserved, the reservation is RELEASED
   * with this reason.
   */
  release(reason: ReleaseReason, now: Date, sku?: Sku): RequestedLine[] {
    this.assertOpen('release');
    let targets: ReservationLine[];
    if (sku) {
      const line = this.line(sku);
      if (!line) {
        throw new DomainError(
          ErrorCodes.LINE_NOT_FOUND,
          `Order ${this.orderId.value} has no line ${sku.value}`,
          {
            orderId: this.orderId.value,
            sku: sku.value,
          },
        );
      }
      if (line.status !== 'RESERVED') {
        throw this.illegal(`release line ${sku.value} (${line.status})`);
      }
      targets = [line];
    } else {
      targets = this.props.lines.filter((l) => l.status === 'RESERVED');
    }
    this.setLineStatus(targets, 'RELEASED');
    if (!this.props.lines.some((l) => l.status === 'RESERVED')) {
      this.props.status = 'RELEASED';
      this.props.releaseReason = reason;
    }
    this.touch(now);
    return targets.map(({ sku: s, quantity }) => ({ sku: s, quantity }));
  }

  /** Whether the reservation's TTL has run out at `now` (its open lines then count as available). */
  isExpiredAt(now: Date): boolean {
    return this.isOpen && this.props.expiresAt.getTime() <= now.getTime();
  }

  /**
   * Moves the expiry to `ttl` from now, but never past `maxAgeSeconds` after the reservation was
   * created, and never earlier than it is. Only an open reservation that has not expired can be
   * extended: once past its expiry its units may already have been promised to someone else.
   * Returns whether the expiry moved.
   */
  extend(ttl: TtlSeconds, maxAgeSeconds: number, now: Date): boolean {
    this.assertOpen('extend');
    if (this.isExpiredAt(now)) {
      throw new DomainError(
        ErrorCodes.ILLEGAL_TRANSITION,
        `Cannot extend the reservation of order ${this.orderId.value}: it expired at ${this.expiresAt.toISOString()}`,
        { orderId: this.orderId.value, status: this.status, expiresAt: this.expiresAt.toISOString() },
      );
    }
    const latest = this.props.createdAt.getTime() + maxAgeSeconds * 1000;
    const wanted = Math.min(ttl.expiryFrom(now).getTime(), latest);
    if (wanted <= this.props.expiresAt.getTime()) return false;
    this.props.expiresAt = new Date(wanted);
    this.touch(now);
    return true;
  }

  /** Commits every still-reserved line; returns them (their units leave stock). */
  confirm(now: Date): RequestedLine[] {
    this.assertOpen('confirm');
    const targets = this.props.lines.filter((l) => l.status === 'RESERVED');
    this.setLineStatus(targets, 'CONFIRMED');
    this.props.status = 'CONFIRMED';
    this.touch(now);
    return targets.map(({ sku, quantity }) => ({ sku, quantity }));
  }

  private setLineStatus(targets: readonly ReservationLine[], status: LineStatus): void {
    const skus = new Set(targets.map((t) => t.sku.value));
    this.props.lines = this.props.lines.map((l) => (skus.has(l.sku.value) ? { ...l, status } : l));
  }

  private assertOpen(action: string): void {
    if (!this.isOpen) throw this.illegal(action);
  }

  private illegal(action: string): DomainError {
    return new DomainError(
      ErrorCodes.ILLEGAL_TRANSITION,
      `Cannot ${action} the reservation of order ${this.orderId.value}: it is ${this.status}`,
      { orderId: this.orderId.value, status: this.status },
    );
  }

  private touch(now: Date): void {
    this.props.updatedAt = now;
    this.changed = true;
  }

  private static assertDistinct(lines: readonly RequestedLine[], existing: readonly RequestedLine[]): void {
    const seen = new Set(existing.map((l) => l.sku.value));
    for (const l of lines) {
      if (seen.has(l.sku.value)) {
        throw new ValidationError(ErrorCodes.INVALID_LINES, `SKU ${l.sku.value} appears twice in order`, {
          sku: l.sku.value,
        });
      }
      seen.add(l.sku.value);
    }
  }
}
