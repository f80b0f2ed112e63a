import { ErrorCodes, ValidationError } from './errors';

export const RELEASE_REASONS = ['cancelled', 'expired', 'released'] as const;
/** Why reserved units went back to available: order cancelled, TTL ran out, or an explicit release. */
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

export function parseReleaseReason(raw: unknown): ReleaseReason {
  if (typeof raw !== 'string' || !(RELEASE_REASONS as readonly string[]).includes(raw)) {
    throw new ValidationError(
      ErrorCodes.INVALID_RELEASE_REASON,
      `Invalid release reason ${JSON.stringify(raw)}: one of ${RELEASE_REASONS.join(', ')}`,
      { reason: raw },
    );
  }
  return raw as ReleaseReason;
}
