import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files under temporal/ that configure the local dev server (scripts/services.sh reads them too). */
const TEMPORAL_DIR = join(__dirname, '..', '..', 'temporal');

function lines(file: string): string[] {
  return readFileSync(join(TEMPORAL_DIR, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * `temporal server start-dev` flags as `--name=value`: the search attributes, the dynamic config and
 * (unless `pragmas: false`, to measure without them) the SQLite pragmas.
 */
export function devServerFlags(options: { pragmas?: boolean } = {}): string[] {
  return [
    ...lines('search-attributes.txt').map((l) => `--search-attribute=${l}`),
    ...lines('dynamic-config.txt').map((l) => `--dynamic-config-value=${l}`),
    ...(options.pragmas === false ? [] : lines('sqlite-pragmas.txt').map((l) => `--sqlite-pragma=${l}`)),
  ];
}

/** The dev server's environment (temporal/dev-server.env), to add to the spawning process's own. */
export function devServerEnv(): Record<string, string> {
  return Object.fromEntries(
    lines('dev-server.env').map((l) => {
      const eq = l.indexOf('=');
      return [l.slice(0, eq), l.slice(eq + 1)];
    }),
  );
}

/** The names of the custom search attributes the dev server registers (temporal/search-attributes.txt). */
export function searchAttributeNames(): string[] {
  return lines('search-attributes.txt').map((l) => l.slice(0, l.indexOf('=')));
}
