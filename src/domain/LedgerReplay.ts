import type { MovementType } from './StockMovement';

export interface LedgerLevels {
  readonly onHand: number;
  readonly reserved: number;
}

/** What replay needs from a movement. */
export interface ReplayableMovement {
  readonly id?: string;
  readonly type: MovementType;
  readonly quantity: number;
  readonly onHandAfter: number;
  readonly reservedAfter: number;
}

/** The first movement whose recorded levels disagree with the replay of everything before it. */
export interface ChainBreak {
  readonly movementId: string | null;
  readonly index: number;
  readonly recorded: LedgerLevels;
  readonly replayed: LedgerLevels;
}

/** The rule that makes the ledger the source of truth: applying a movement to the levels before it. */
export function applyMovement(levels: LedgerLevels, type: MovementType, quantity: number): LedgerLevels {
  switch (type) {
    case 'RESERVE':
      return { onHand: levels.onHand, reserved: levels.reserved + quantity };
    case 'RELEASE':
      return { onHand: levels.onHand, reserved: levels.reserved - quantity };
    case 'COMMIT':
      return { onHand: levels.onHand - quantity, reserved: levels.reserved - quantity };
    case 'REPLENISH':
    case 'ADJUST':
      return { onHand: levels.onHand + quantity, reserved: levels.reserved };
  }
}

/** Replays one SKU's movements in ledger order, incrementally (so callers can stream them). */
export class LedgerReplay {
  private current: LedgerLevels = { onHand: 0, reserved: 0 };
  private count = 0;
  private firstBreak: ChainBreak | null = null;

  static of(movements: Iterable<ReplayableMovement>): LedgerReplay {
    const replay = new LedgerReplay();
    for (const m of movements) replay.apply(m);
    return replay;
  }

  apply(movement: ReplayableMovement): void {
    this.current = applyMovement(this.current, movement.type, movement.quantity);
    const recorded = { onHand: movement.onHandAfter, reserved: movement.reservedAfter };
    if (
      this.firstBreak === null &&
      (recorded.onHand !== this.current.onHand || recorded.reserved !== this.current.reserved)
    ) {
      this.firstBreak = {
        movementId: movement.id ?? null,
        index: this.count,
        recorded,
        replayed: this.current,
      };
    }
    this.count += 1;
  }

  get levels(): LedgerLevels {
    return this.current;
  }

  get movementCount(): number {
    return this.count;
  }

  get chainBreak(): ChainBreak | null {
    return this.firstBreak;
  }

  /** True when the replay reproduces these levels and every movement's recorded levels. */
  explains(levels: LedgerLevels): boolean {
    return (
      this.firstBreak === null &&
      levels.onHand === this.current.onHand &&
      levels.reserved === this.current.reserved
    );
  }
}
