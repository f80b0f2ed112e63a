import { ErrorCodes, ValidationError } from './errors';
import { TTL_SECONDS_DEFAULT, TTL_SECONDS_MAX, TTL_SECONDS_MIN } from './limits';

/** How long an unconfirmed reservation holds its stock: an integer 1..86,400 seconds, default 900. */
export class TtlSeconds {
  static readonly MIN = TTL_SECONDS_MIN;
  static readonly MAX = TTL_SECONDS_MAX;
  static readonly DEFAULT_SECONDS = TTL_SECONDS_DEFAULT;

  private constructor(readonly value: number) {}

  static of(raw: unknown): TtlSeconds {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < TtlSeconds.MIN || raw > TtlSeconds.MAX) {
      throw new ValidationError(
        ErrorCodes.INVALID_TTL,
        `Invalid ttlSeconds ${JSON.stringify(raw)}: an integer ${TtlSeconds.MIN}..${TtlSeconds.MAX}`,
        { ttlSeconds: raw },
      );
    }
    return new TtlSeconds(raw);
  }

  static default(): TtlSeconds {
    return new TtlSeconds(TtlSeconds.DEFAULT_SECONDS);
  }

  /** `raw` when given, else the fallback (itself validated: it usually comes from configuration). */
  static orDefault(raw: unknown, fallbackSeconds: number = TtlSeconds.DEFAULT_SECONDS): TtlSeconds {
    return TtlSeconds.of(raw === undefined ? fallbackSeconds : raw);
  }

  expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.value * 1000);
  }
}
