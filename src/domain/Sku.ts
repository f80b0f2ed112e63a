import { ErrorCodes, ValidationError } from './errors';

/** A product code: 1–64 chars of A-Z 0-9 . _ -, starting with a letter or digit; stored upper-case. */
export class Sku {
  static readonly MAX_LENGTH = 64;
  // Checked before upper-casing: a few non-ASCII letters (ı, ſ) upper-case into ASCII ones.
  private static readonly PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

  private constructor(readonly value: string) {}

  static of(raw: unknown): Sku {
    if (typeof raw !== 'string' || !Sku.PATTERN.test(raw)) {
      throw new ValidationError(
        ErrorCodes.INVALID_SKU,
        `Invalid SKU ${JSON.stringify(raw)}: 1-${Sku.MAX_LENGTH} characters of A-Z 0-9 . _ -, starting with a letter or digit`,
        { sku: raw },
      );
    }
    return new Sku(raw.toUpperCase());
  }

  equals(other: Sku): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}
