import { parseArgs } from 'node:util';
import { jwtSettingsFrom, mintToken, SCOPES } from '../src/adapters/http/auth';
import { ConfigError, loadConfig } from '../src/config';
import { loadEnvFile } from '../src/config/envFile';

const USAGE = `Prints a bearer token the service accepts when started with the same configuration
(AUTH_JWT_SECRET, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE: from the environment, else from the .env that
npm run setup writes and npm start reads).

  npm run -s token -- --scope inventory:read --scope inventory:reserve [--ttl 3600] [--sub orders-capi]

  --scope  repeatable (or comma-separated): ${SCOPES.join(', ')}
  --ttl    lifetime in seconds, 1..31536000 (default 3600)
  --sub    subject recorded in the token (default cli)

  curl -H "Authorization: Bearer $(npm run -s token -- --scope inventory:read)" http://127.0.0.1:3000/inventory/SKU-1`;

function fail(message: string): never {
  console.error(`token: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        scope: { type: 'string', multiple: true, short: 's' },
        ttl: { type: 'string', default: '3600' },
        sub: { type: 'string', default: 'cli' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const scopes = [...new Set((values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  if (scopes.length === 0) fail('at least one --scope is required');
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) fail(`unknown scope(s): ${unknown.join(', ')}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 31_536_000) fail('--ttl must be an integer 1..31536000');
  if (!values.sub) fail('--sub must not be empty');

  loadEnvFile();
  const config = loadConfig();
  console.log(await mintToken(jwtSettingsFrom(config), { scopes, ttlSeconds: ttl, subject: values.sub }));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `token: ${String(err)}`);
  process.exit(1);
});
