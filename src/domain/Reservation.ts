import { DomainError, ErrorCodes, ValidationError } from './errors';
import type { OrderId } from './OrderId';
import type { Quantity } from './Quantity';
import type { ReleaseReason } from './ReleaseReason';
import type { Sku } from './Sku';

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
    const reservation = new Reservation(
      {
        orderId: params.orderId,
        status: 'RESERVED',
        releaseReason: null,
        lines: params.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, status: 'RESERVED' })),
        expiresAt: params.expiresAt,
        createdAt: params.now,
        updatedAt: params.now,
        version: 0,
      },
      true,
    );
    reservation.changed = true;
    return reservation;
  }

  static restore(props: ReservationProps): Reservation {
    const reserved = props.lines.some((l) => l.status === 'RESERVED');
    const consistent =
      props.lines.length > 0 &&
      (props.status === 'RELEASED') === (props.releaseReason !== null) &&
      (props.status === 'RESERVED' ? reserved : !reserved);
    if (!consistent) {
      throw new DomainError(
        ErrorCodes.INVARIANT_VIOLATION,
        `Stored reservation of order ${props.orderId.value} is inconsistent`,
        { orderId: props.orderId.value, status: props.status },
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
