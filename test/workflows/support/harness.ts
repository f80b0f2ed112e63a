import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection, WorkflowHandle } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { RESERVATION_SEARCH_ATTRIBUTES } from '../../../workflows/shared';

const INDEXED = {
  Keyword: encodeSearchAttributeIndexedValueType('KEYWORD'),
  KeywordList: encodeSearchAttributeIndexedValueType('KEYWORD_LIST'),
  Datetime: encodeSearchAttributeIndexedValueType('DATETIME'),
};

const GRPC_UNIMPLEMENTED = 12;

const GRPC_ALREADY_EXISTS = 6;

/**
 * The reservation workflow's search attributes, on a server that does not have them yet. The Java
 * time-skipping server implements AddSearchAttributes but not ListSearchAttributes: add them all.
 */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  let customAttributes: Record<string, unknown> | null | undefined = {};
  try {
    ({ customAttributes } = await connection.operatorService.listSearchAttributes({ namespace }));
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_UNIMPLEMENTED) throw error;
  }
  const missing = Object.entries(RESERVATION_SEARCH_ATTRIBUTES).filter(([name]) => !customAttributes?.[name]);
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED[type]!])),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
}

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a finished workflow's history for the replay test
 * (test/workflows/replay.test.ts), which fails if a code change makes it non-deterministic.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(
    join(HISTORIES_DIR, `${name}.json`),
    JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n',
  );
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
