import { createHash, randomBytes } from 'node:crypto';

/** Unique, readable names so test files and repeated runs never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function uniqueSku(prefix = 'T'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`.toUpperCase();
}

export function uniqueOrderId(prefix = 'order'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function templateDatabaseName(checksums: string[]): string {
  const digest = createHash('sha256').update(checksums.join(',')).digest('hex').slice(0, 12);
  return `inventory_tpl_${digest}`;
}
