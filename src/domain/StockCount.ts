import { ErrorCodes, ValidationError } from './errors';

/**
 * A stock level (on hand, safety stock, reorder quantity): an integer 0..1,000,000,000. The columns
 * are Postgres `integer`s; the margin below 2^31 keeps a level plus any one quantity representable.
 * The HTTP schemas, PUT and replenish all take the limit from here.
 */
export class StockCount {
  static readonly MIN = 0;
  static readonly MAX = 1_000_000_000;

  /** The value, or a ValidationError naming the field (`onHand`, `safetyStock`...). */
  static of(name: string, raw: unknown): number {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < StockCount.MIN || raw > StockCount.MAX) {
      throw new ValidationError(
        ErrorCodes.INVALID_STOCK_LEVEL,
        `Invalid ${name} ${JSON.stringify(raw)}: an integer ${StockCount.MIN}..${StockCount.MAX}`,
        { [name]: raw },
      );
    }
    return raw;
  }
}
