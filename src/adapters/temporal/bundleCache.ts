import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';

/**
 * A content-addressed file cache of webpack-built workflow bundles. Webpacking workflows/ costs about
 * 10 s of CPU per process start on a 2-core box, on the worker's own start and on every restart; a
 * bundle built once is reused by every later process whose workflow sources and SDK are the same.
 *
 * The key covers every source file webpack can reach from workflows/ (workflows/, activities/ and src/,
 * as .ts or as compiled .js), the Temporal SDK packages' versions and the variant (interceptors). Any
 * change to one of them is another key, so a stale bundle is never loaded.
 */

/** Where workflows/, activities/ and src/ sit: the project root, or dist/ when compiled. */
const SOURCE_ROOT = join(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['workflows', 'activities', 'src'];
const SOURCE_FILE = /\.(ts|js|mjs|cjs)$/;
/** Generated code that workflows never import (the Prisma client is large). */
const SKIPPED_DIRS = new Set(['generated', 'node_modules']);
const SDK_PACKAGES = ['@temporalio/worker', '@temporalio/workflow', '@temporalio/interceptors-opentelemetry'];

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : sourceFiles(path);
      return e.isFile() && SOURCE_FILE.test(e.name) ? [path] : [];
    });
}

function sdkVersion(name: string): string {
  try {
    const manifest = readFileSync(require.resolve(`${name}/package.json`), 'utf8');
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

/** The cache key of a variant: a hash of the sources under `root`, the SDK versions and the variant. */
export function workflowBundleKey(variant: string, root: string = SOURCE_ROOT): string {
  const hash = createHash('sha256').update(`variant ${variant}\n`);
  for (const name of SDK_PACKAGES) hash.update(`${name}@${sdkVersion(name)}\n`);
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(root, dir))) {
      hash
        .update(`${file.slice(root.length)}\n`)
        .update(readFileSync(file))
        .update('\n');
    }
  }
  return hash.digest('hex').slice(0, 24);
}

export interface CachedBundleOptions {
  /** Cache directory ('' or undefined: no file cache, always build). */
  dir: string | undefined;
  /** plain, traced, ...: bundles of one variant replace each other in the cache. */
  variant: string;
  build: () => Promise<WorkflowBundle>;
  /** Defaults to the sources beside this module. */
  root?: string;
  /** Told when the cache could not be written (the bundle is still returned). */
  onWriteError?: (error: unknown) => void;
}

/** The cached bundle when its key matches, else a freshly built one, written for the next process. */
export async function cachedWorkflowBundle(options: CachedBundleOptions): Promise<WorkflowBundle> {
  if (!options.dir) return options.build();
  const dir = resolve(options.dir);
  const prefix = `workflows-${options.variant}-`;
  const name = `${prefix}${workflowBundleKey(options.variant, options.root)}.js`;
  const path = join(dir, name);
  try {
    return { code: readFileSync(path, 'utf8') };
  } catch {
    // not cached yet
  }
  const bundle = await options.build();
  try {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: a process starting meanwhile reads a whole bundle or none.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, bundle.code);
    renameSync(partial, path);
    for (const old of readdirSync(dir)) {
      if (old.startsWith(prefix) && old !== name && !old.endsWith('.partial')) {
        rmSync(join(dir, old), { force: true });
      }
    }
  } catch (error) {
    options.onWriteError?.(error);
  }
  return bundle;
}
