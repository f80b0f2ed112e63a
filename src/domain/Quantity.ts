import { ErrorCodes, ValidationError } from './errors';
import { QUANTITY_MAX, QUANTITY_MIN } from './limits';

/** A number of units moved by one command line: an integer 1..1,000,000. */
export class Quantity {
  static readonly MIN = QUANTITY_MIN;
  static readonly MAX = QUANTITY_MAX;

  private constructor(readonly value: number) {}

  static of(raw: unknown): Quantity {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < Quantity.MIN || raw > Quantity.MAX) {
      throw new ValidationError(
        ErrorCodes.INVALID_QUANTITY,
        `Invalid quantity ${JSON.stringify(raw)}: an integer ${Quantity.MIN}..${Quantity.MAX}`,
        { quantity: raw },
      );
    }
    return new Quantity(raw);
  }

  equals(other: Quantity): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return String(this.value);
  }
}
