import { randomUUID } from 'node:crypto';
import type { IdGenerator } from '../../domain/ports/IdGenerator';

export class CryptoIdGenerator implements IdGenerator {
  uuid(): string {
    return randomUUID();
  }
}
