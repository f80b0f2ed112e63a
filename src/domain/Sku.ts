import { ErrorCodes, ValidationError } from './errors';
import { SKU_MAX_LENGTH } from './limits';

/** A product code: 1–64 chars of A-Z 0-9 . _ -, starting with a letter or digit; stored upper-case. */
export class Sku {
  static readonly MAX_LENGTH = SKU_MAX_LENGTH;
  // Checked before upper-casing: a few non-ASCII letters (ı, ſ) upper-case into ASCII ones.
  static readonly PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${SKU_MAX_LENGTH - 1}}$`);
  /** The rule, as error messages state it. */
  static readonly FORMAT = `1-${Sku.MAX_LENGTH} characters of A-Z 0-9 . _ -, starting with a letter or digit`;

  private constructor(readonly value: string) {}

  static of(raw: unknown): Sku {
    if (typeof raw !== 'string' || !Sku.PATTERN.test(raw)) {
      throw new ValidationError(ErrorCodes.INVALID_SKU, `Invalid SKU ${JSON.stringify(raw)}: ${Sku.FORMAT}`, {
        sku: raw,
      });
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
