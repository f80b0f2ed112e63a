import { ErrorCodes, ValidationError } from './errors';

/** The order a reservation belongs to: 1–128 chars of A-Za-z0-9._:- (case-sensitive). */
export class OrderId {
  static readonly MAX_LENGTH = 128;
  static readonly PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
  /** The rule, as error messages state it. */
  static readonly FORMAT = `1-${OrderId.MAX_LENGTH} characters of A-Za-z0-9._:-`;

  private constructor(readonly value: string) {}

  static of(raw: unknown): OrderId {
    if (typeof raw !== 'string' || !OrderId.PATTERN.test(raw)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ORDER_ID,
        `Invalid order id ${JSON.stringify(raw)}: ${OrderId.FORMAT}`,
        { orderId: raw },
      );
    }
    return new OrderId(raw);
  }

  equals(other: OrderId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}
