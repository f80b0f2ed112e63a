import type { StockLevelView, VersionPrecondition } from '../../application/contracts';
import { ProblemError } from './problems';

/** A stock level's entity tag (RFC 9110 §8.8.3): its row version, strong. */
export const etagOf = (level: Pick<StockLevelView, 'version'>) => `"${level.version}"`;

const ENTITY_TAG = /^(W\/)?"([^"]*)"$/;

function entityTags(header: string): { weak: boolean; opaque: string }[] | '*' {
  if (header.trim() === '*') return '*';
  return header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .flatMap((t) => {
      const m = ENTITY_TAG.exec(t);
      return m ? [{ weak: m[1] !== undefined, opaque: m[2]! }] : [];
    });
}

/**
 * If-Match as a precondition on the version: strong comparison, so weak tags and tags this service
 * never issued match nothing (→ 412). Absent header: no precondition.
 */
export function parseIfMatch(header: string | undefined): VersionPrecondition | undefined {
  if (header === undefined) return undefined;
  const tags = entityTags(header);
  if (tags === '*') return '*';
  return tags.filter((t) => !t.weak && /^(0|[1-9][0-9]{0,9})$/.test(t.opaque)).map((t) => Number(t.opaque));
}

/** If-None-Match against the current tag: weak comparison (RFC 9110 §13.1.2); true → 304. */
export function noneMatchFails(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const tags = entityTags(header);
  if (tags === '*') return true;
  return tags.some((t) => `"${t.opaque}"` === etag);
}

/** 412 with the current level (and its ETag) so the caller can retry on fresh data. */
export function preconditionFailed(sku: string, level: StockLevelView | null): ProblemError {
  return new ProblemError(
    'precondition-failed',
    level
      ? `The stock level of ${sku} is at version ${level.version}: If-Match does not hold`
      : `Unknown SKU ${sku}: If-Match does not hold`,
    level ? { level } : {},
    level ? { etag: etagOf(level) } : {},
  );
}
