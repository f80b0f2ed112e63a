import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/** The git-ignored file `npm run setup` writes the generated AUTH_JWT_SECRET into. */
export const ENV_FILE = '.env';

/**
 * Copies the variables of `.env` (in the working directory, where npm runs its scripts) into `env`,
 * except those `env` already sets: the environment wins, as with `node --env-file`. A missing file is
 * not an error. Returns the names it set.
 */
export function loadEnvFile(path = resolve(process.cwd(), ENV_FILE), env = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] !== undefined || value === undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
