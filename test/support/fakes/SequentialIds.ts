import type { IdGenerator } from '../../../src/domain/ports/IdGenerator';

/** Deterministic, valid-looking UUIDs: 00000000-0000-4000-8000-000000000001, ...02, ... */
export class SequentialIds implements IdGenerator {
  private next = 1;

  uuid(): string {
    return `00000000-0000-4000-8000-${(this.next++).toString(16).padStart(12, '0')}`;
  }
}
